/// Which accepted connections may run a handshake: at most `totalMax` at once, and at
/// most `perAddressMax` from one IP address, so that one remote cannot take every
/// slot. A connection holds its slot from accept until it authenticates or closes.
/// A value with no I/O: the network keeps one under its lock.
struct HandshakeAdmission<ConnectionID: Hashable & Sendable>: Sendable {
    let totalMax: Int
    let perAddressMax: Int
    private var addressByConnection: [ConnectionID: String] = [:]
    private var countByAddress: [String: Int] = [:]

    init(totalMax: Int, perAddressMax: Int) {
        precondition(totalMax > 0, "totalMax must be positive")
        precondition(perAddressMax > 0 && perAddressMax <= totalMax, "perAddressMax must be in 1...totalMax")
        self.totalMax = totalMax
        self.perAddressMax = perAddressMax
    }

    /// Connections holding a slot now.
    var inProgress: Int { addressByConnection.count }

    func inProgress(from address: String) -> Int { countByAddress[address, default: 0] }

    /// Takes a slot for `connection`, or says which cap is full.
    mutating func admit(_ connection: ConnectionID, address: String) -> HandshakeRefusal? {
        precondition(addressByConnection[connection] == nil, "a connection is admitted once")
        guard inProgress < totalMax else { return .tooManyInHandshake }
        guard inProgress(from: address) < perAddressMax else { return .tooManyFromAddress }
        addressByConnection[connection] = address
        countByAddress[address, default: 0] += 1
        assert(inProgress <= totalMax && inProgress(from: address) <= perAddressMax)
        return nil
    }

    /// Frees `connection`'s slot. Idempotent: a connection may end its handshake and
    /// then close; returns whether a slot was freed.
    @discardableResult
    mutating func release(_ connection: ConnectionID) -> Bool {
        guard let address = addressByConnection.removeValue(forKey: connection) else { return false }
        let count = countByAddress[address, default: 0]
        precondition(count > 0, "an admitted connection is counted under its address")
        countByAddress[address] = count == 1 ? nil : count - 1
        assert(countByAddress.values.reduce(0, +) == inProgress)
        return true
    }
}

public import PoECrypto
public import PoEWire

/// The validators of one epoch, by node key, in ascending key order.
public struct ValidatorSet: Sendable, Equatable {
    public static let memberCountMax = 256

    public let epoch: UInt64
    public let nodeKeys: [PublicKey]

    /// Sorts the keys; refuses duplicates and more than `memberCountMax` members.
    public init(epoch: UInt64, nodeKeys: [PublicKey]) throws(ProofError) {
        guard nodeKeys.count <= ValidatorSet.memberCountMax else {
            throw .invalidValidatorSet("\(nodeKeys.count) members, at most \(ValidatorSet.memberCountMax)")
        }
        let sorted = nodeKeys.sorted()
        for index in sorted.indices.dropFirst() where sorted[index - 1] == sorted[index] {
            throw .invalidValidatorSet("node key \(sorted[index].short) listed twice")
        }
        self.epoch = epoch
        self.nodeKeys = sorted
    }

    public var count: Int { nodeKeys.count }
    /// Faults tolerated: f = (n - 1) / 3.
    public var faultsTolerated: Int { count == 0 ? 0 : (count - 1) / 3 }
    /// Attestations that finalize a job: ceil((n + f + 1) / 2), which is 2f + 1 when n = 3f + 1.
    /// Two quorums always share at least one validator, so at most one digest reaches it.
    public var quorum: Int { ValidatorSet.quorum(count: count) }

    public static func quorum(count: Int) -> Int {
        precondition(count >= 0)
        let f = count == 0 ? 0 : (count - 1) / 3
        return (count + f + 2) / 2
    }

    public func contains(_ nodeKey: PublicKey) -> Bool {
        var low = 0
        var high = nodeKeys.count
        while low < high {
            let middle = (low + high) / 2
            if nodeKeys[middle] < nodeKey { low = middle + 1 } else { high = middle }
        }
        return low < nodeKeys.count && nodeKeys[low] == nodeKey
    }
}

extension ValidatorSet: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(epoch)
        writer.writeArray(nodeKeys, bound: ValidatorSet.memberCountMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let epoch = try reader.readUInt64()
        let keys: [PublicKey] = try reader.readArray(bound: ValidatorSet.memberCountMax, minElementBytes: 32, field: "validator set")
        guard keys == keys.sorted(), Set(keys).count == keys.count else {
            throw .invalidValue(field: "validator set", reason: "node keys not strictly ascending")
        }
        do { try self.init(epoch: epoch, nodeKeys: keys) } catch { throw .invalidValue(field: "validator set", reason: error.description) }
    }
}

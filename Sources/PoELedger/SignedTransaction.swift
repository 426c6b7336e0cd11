public import PoECrypto
public import PoEWire

/// An account's request, in the project-wide shape: the signed bytes are
/// `sender ‖ UInt64 nonce ‖ UInt32 length ‖ body`, in domain `.transaction`.
public struct SignedTransaction: Sendable, Equatable {
    public static let bodyBytesMax = 65_536

    public var sender: PublicKey
    /// Must be the sender's last nonce + 1 (the first transaction of an account has nonce 1).
    public var nonce: UInt64
    /// The canonical encoding of a `TransactionBody`. Kept as bytes so that a body the
    /// ledger cannot decode is still ordered, and recorded as failed.
    public var body: [UInt8]
    public var signature: Signature

    public init(sender: PublicKey, nonce: UInt64, body: [UInt8], signature: Signature) {
        self.sender = sender
        self.nonce = nonce
        self.body = body
        self.signature = signature
    }

    /// Builds and signs a transaction.
    public static func make(signer: PrivateKey, nonce: UInt64, body: TransactionBody) -> SignedTransaction {
        let bytes = body.wireBytes
        precondition(bytes.count <= bodyBytesMax, "transaction body of \(bytes.count) bytes over \(bodyBytesMax)")
        let message = signedBytes(sender: signer.publicKey, nonce: nonce, body: bytes)
        return SignedTransaction(
            sender: signer.publicKey, nonce: nonce, body: bytes, signature: signer.sign(message, domain: .transaction))
    }

    public static func signedBytes(sender: PublicKey, nonce: UInt64, body: [UInt8]) -> [UInt8] {
        var writer = WireWriter(reservingCapacity: 44 + body.count)
        writer.write(sender)
        writer.write(nonce)
        writer.writeBytes(body, bound: bodyBytesMax)
        return writer.bytes
    }

    public var isSignatureValid: Bool {
        sender.verify(signature, for: SignedTransaction.signedBytes(sender: sender, nonce: nonce, body: body), domain: .transaction)
    }

    /// The same check, through a cache of signatures already verified.
    public func isSignatureValid(using cache: SignatureCache) -> Bool {
        cache.verify(signature, by: sender, for: SignedTransaction.signedBytes(sender: sender, nonce: nonce, body: body), domain: .transaction)
    }

    /// Identifies the transaction in receipts.
    public var id: Digest { Digest.of(self) }
}

extension SignedTransaction: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(sender)
        writer.write(nonce)
        writer.writeBytes(body, bound: SignedTransaction.bodyBytesMax)
        writer.write(signature)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        sender = try reader.read()
        nonce = try reader.readUInt64()
        body = try reader.readBytes(bound: SignedTransaction.bodyBytesMax, field: "transaction body")
        signature = try reader.read()
    }
}

import Foundation
import PoECrypto
import Testing

/// The published BIP-340 test vectors (bip-0340/test-vectors.csv), run through our
/// wrappers of libsecp256k1.
struct BIP340Vector: CustomStringConvertible {
    let index: Int
    let secretKey: [UInt8]?
    let publicKey: [UInt8]
    let auxRand: [UInt8]?
    let message: [UInt8]
    let signature: [UInt8]
    let valid: Bool
    let comment: String

    var description: String { "vector \(index) \(comment)" }

    static func load() throws -> [BIP340Vector] {
        let url = try #require(Bundle.module.url(forResource: "bip340-vectors", withExtension: "csv"))
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func hex(_ field: String) throws -> [UInt8] { try #require(Hex.decode(field)) }
            return BIP340Vector(
                index: try #require(Int(fields[0])),
                secretKey: fields[1].isEmpty ? nil : try hex(fields[1]),
                publicKey: try hex(fields[2]),
                auxRand: fields[3].isEmpty ? nil : try hex(fields[3]),
                message: try hex(fields[4]),
                signature: try hex(fields[5]),
                valid: fields[6] == "TRUE",
                comment: fields.count > 7 ? fields[7...].joined(separator: ",") : "")
        }
    }
}

@Suite struct BIP340VectorTests {
    @Test func allVectorsAreLoaded() throws {
        #expect(try BIP340Vector.load().count == 15)
    }

    @Test func signingReproducesTheVectorSignatures() throws {
        for vector in try BIP340Vector.load() {
            guard let secret = vector.secretKey, let aux = vector.auxRand else { continue }
            let key = try PrivateKey(secretBytes: secret)
            #expect(key.publicKey.bytes == vector.publicKey, "\(vector)")
            let message = try #require(Digest(bytes: vector.message))
            let signature = key.sign(digest: message, auxiliaryRandomness: aux)
            #expect(signature.bytes == vector.signature, "\(vector)")
        }
    }

    @Test func verificationMatchesTheVectorVerdicts() throws {
        for vector in try BIP340Vector.load() {
            let message = try #require(Digest(bytes: vector.message))
            let signature = try Signature(bytes: vector.signature)
            // Vectors 5 and 14 have public keys that are not curve points: parsing
            // must refuse them, which is the verdict "invalid".
            guard let publicKey = try? PublicKey(bytes: vector.publicKey) else {
                #expect(!vector.valid, "\(vector): a valid vector's key failed to parse")
                continue
            }
            #expect(publicKey.verify(signature, digest: message) == vector.valid, "\(vector)")
        }
    }
}

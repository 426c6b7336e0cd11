import Foundation
import PoECrypto
import Testing

@Suite struct KeyFileTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("poe-keyfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func permissions(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func writtenKeyReadsBackWithMode0600() throws {
        let path = folder + "/node.key"
        let key = PrivateKey.generate()
        try KeyFile.write(key, to: path)
        #expect(try permissions(path) == 0o600)
        #expect(try KeyFile.read(from: path).publicKey == key.publicKey)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(leftovers == ["node.key"], "no temporary file is left behind")
    }

    @Test func existingKeyIsNeverOverwritten() throws {
        let path = folder + "/node.key"
        let first = PrivateKey.generate()
        try KeyFile.write(first, to: path)
        #expect(throws: KeyFileError.exists(path: path)) { try KeyFile.write(PrivateKey.generate(), to: path) }
        #expect(try KeyFile.read(from: path).publicKey == first.publicKey)
    }

    @Test func keyReadableByOthersIsRefused() throws {
        let path = folder + "/node.key"
        try KeyFile.write(PrivateKey.generate(), to: path)
        for mode in [0o644, 0o640, 0o604] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect(throws: KeyFileError.tooOpen(path: path, mode: UInt32(mode))) { try KeyFile.read(from: path) }
        }
    }

    @Test func refusalNamesTheFileAndTheFix() throws {
        let path = folder + "/node.key"
        try KeyFile.write(PrivateKey.generate(), to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o604], ofItemAtPath: path)
        let message = KeyFileError.tooOpen(path: path, mode: 0o604).description
        #expect(message.contains(path) && message.contains("mode 0604") && message.contains("chmod 600 \(path)"), "\(message)")
    }

    @Test func malformedFilesAreRefusedWithAReason() throws {
        let cases = [
            "garbage\n",
            "poe-secp256k1:1234\n",
            "poe-secp256k1:" + String(repeating: "00", count: 32) + "\n",
            String(repeating: "x", count: 1000),
        ]
        for (index, text) in cases.enumerated() {
            let path = folder + "/bad\(index).key"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
            #expect(throws: KeyFileError.self) { try KeyFile.read(from: path) }
        }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: KeyFileError.self) { try KeyFile.read(from: folder + "/absent.key") }
    }
}

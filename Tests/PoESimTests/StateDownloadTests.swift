import PoECrypto
@testable import PoENodeCore
import PoEWire
import Testing

/// A state archive travels in chunks from one source and is whole only when every piece
/// of it arrived, in whatever order; nothing else gets into it.
@Suite struct StateDownloadTests {
    static let source = PrivateKey.deterministic(seed: "state-source").publicKey
    static let other = PrivateKey.deterministic(seed: "state-other").publicKey
    static let archive = (0..<2_500).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    static func chunk(at offset: Int, size: Int = 1_000) -> [UInt8] {
        Array(archive[offset..<min(archive.count, offset + size)])
    }

    static func download() -> StateDownload {
        var download = StateDownload(sequence: 16, source: source, total: archive.count, chunkSize: 1_000)
        let added1 = download.add(chunk(at: 0), offset: 0, total: UInt64(archive.count), from: source)
        #expect(added1)
        return download
    }

    @Test func chunksInAnyOrderAssembleTheArchive() {
        var download = Self.download()
        let added2 = download.add(Self.chunk(at: 2_000), offset: 2_000, total: 2_500, from: Self.source)
        #expect(added2)
        #expect(download.firstMissing == 1_000)
        #expect(!download.isComplete)
        let added3 = download.add(Self.chunk(at: 1_000), offset: 1_000, total: 2_500, from: Self.source)
        #expect(added3)
        #expect(download.firstMissing == 2_500)
        #expect(download.isComplete)
        #expect(download.assembled() == Self.archive)
    }

    @Test func duplicatesOtherPeersAndBadCutsAreIgnored() {
        var download = Self.download()
        let added4 = download.add(Self.chunk(at: 0), offset: 0, total: 2_500, from: Self.source)  // a duplicate
        #expect(!added4)
        let added5 = download.add(Self.chunk(at: 1_000), offset: 1_000, total: 2_500, from: Self.other)  // not the source
        #expect(!added5)
        let added6 = download.add(Self.chunk(at: 1_000), offset: 1_000, total: 2_600, from: Self.source)  // another size
        #expect(!added6)
        let added7 = download.add(Self.chunk(at: 500), offset: 500, total: 2_500, from: Self.source)  // off the cut
        #expect(!added7)
        let added8 = download.add(Self.chunk(at: 1_000, size: 999), offset: 1_000, total: 2_500, from: Self.source)  // short
        #expect(!added8)
        let added9 = download.add(Self.chunk(at: 2_000, size: 400), offset: 2_000, total: 2_500, from: Self.source)  // short last
        #expect(!added9)
        #expect(download.received == 1_000)
        #expect(download.quietPeriods == 0)
    }

    @Test func aChunkPastItsArchiveOrAnArchiveOverTheBoundIsRefusedOnDecoding() throws {
        let good = PeerMessage.stateResponse(sequence: 16, offset: 1_000, total: 2_500, chunk: Self.chunk(at: 1_000))
        #expect(try PeerMessage.decode(wireBytes: good.wireBytes) == good)
        let bad: [PeerMessage] = [
            .stateResponse(sequence: 16, offset: 2_000, total: 2_500, chunk: Self.chunk(at: 1_000)),  // past the total
            .stateResponse(sequence: 16, offset: 0, total: UInt64(PeerMessage.stateArchiveBytesMax + 1), chunk: [1]),
            .stateResponse(sequence: 16, offset: 0, total: 10, chunk: []),
        ]
        for message in bad {
            #expect(throws: WireError.self) { try PeerMessage.decode(wireBytes: message.wireBytes) }
        }
    }
}

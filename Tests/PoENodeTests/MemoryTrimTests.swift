import Foundation
import Testing

import PoELedger
@testable import PoENode

#if canImport(Glibc)
import Glibc
#endif

/// Freed memory that malloc keeps in its arenas goes back to the system on a trim.
@Suite struct MemoryTrimTests {
    static func ownMemoryKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func aTrimGivesBackFreedChunksThatMallocKept() throws {
        try #require(MemoryTrim.isAvailable, "glibc's malloc_trim is found")
        // 48 MiB in 1 KiB chunks (below mmap's threshold, so inside an arena), then all but
        // one in 32 freed: the holes stay resident, since the chunks kept pin the heap's top.
        let chunks = (0..<49_152).map { _ -> UnsafeMutableRawPointer in
            let chunk = malloc(1024)!
            memset(chunk, 0x5A, 1024)
            return chunk
        }
        for index in chunks.indices where index % 32 != 31 { free(chunks[index]) }
        let before = Self.ownMemoryKiB()
        MemoryTrim.trim()
        let after = Self.ownMemoryKiB()
        for index in chunks.indices where index % 32 == 31 { free(chunks[index]) }
        #expect(before - after >= 16 * 1024, "at least 16 of the 46 MiB freed went back (\(before) KiB → \(after) KiB)")
    }

    /// The heap gauges tell a leak from memory malloc keeps: chunks still held count as in
    /// use; freed ones that malloc keeps (holes between held chunks) count as held only.
    /// (Other tests allocate meanwhile, so the margins are wide.)
    @Test func heapUsageCountsHeldChunksAsInUseAndKeptHolesAsHeldOnly() throws {
        let start = try #require(HeapUsage.read(), "glibc counts its heap")
        let chunks = (0..<32_768).map { _ -> UnsafeMutableRawPointer in
            let chunk = malloc(1024)!
            memset(chunk, 0x5A, 1024)
            return chunk
        }
        let allocated = try #require(HeapUsage.read())
        for index in chunks.indices where index % 32 != 31 { free(chunks[index]) }
        let freed = try #require(HeapUsage.read())
        for index in chunks.indices where index % 32 == 31 { free(chunks[index]) }
        let mib = 1 << 20
        #expect(allocated.inUse - start.inUse >= 24 * mib, "32 MiB allocated: \(start.inUse) → \(allocated.inUse)")
        #expect(allocated.inUse - freed.inUse >= 24 * mib, "31 MiB freed: \(allocated.inUse) → \(freed.inUse)")
        #expect(freed.held - freed.inUse >= 24 * mib, "the holes stay held: \(freed.held) held, \(freed.inUse) in use")
        MemoryTrim.trim()
        #expect(MemoryTrim.lastUsage.withLock { $0 } != nil, "each trim leaves a reading for the gauges")
    }

    /// SQLite's share is counted (its memory statistics are on in the system library, or
    /// it would read 0) while a ledger is open. (Other tests open and close ledgers
    /// meanwhile, so it is not compared with a reading before.)
    @Test func sqliteMemoryIsCountedInTheHeapUsage() throws {
        let ledger = try Ledger.open(path: nil, genesis: TestGenesis.make())
        let usage = try #require(HeapUsage.read())
        withExtendedLifetime(ledger) {
            #expect(usage.sqlite > 64 << 10, "an open ledger holds SQLite memory: \(usage.sqlite) bytes")
            #expect(usage.sqlite <= usage.inUse, "SQLite's bytes are part of the heap in use")
        }
    }

    /// With the threshold fixed, a large block freed goes back at once, trim or not, even
    /// when the blocks around it stay (a transient buffer the size of a checkpoint archive).
    @Test func largeBlocksGoBackWhenFreedOnceMallocIsConfigured() throws {
        try #require(MemoryTrim.isAvailable, "glibc's malloc is configurable")
        // Left alone, glibc raises its threshold to the size of a large block freed: after
        // this one, blocks below 2 MiB would come from the arena.
        free(malloc(2 << 20))
        MemoryTrim.configureMalloc()
        let size = 512 << 10
        let blocks = (0..<96).map { _ -> UnsafeMutableRawPointer in
            let block = malloc(size)!
            memset(block, 0x5A, size)
            return block
        }
        let before = Self.ownMemoryKiB()
        for index in blocks.indices where index % 2 == 0 { free(blocks[index]) }
        let after = Self.ownMemoryKiB()
        for index in blocks.indices where index % 2 == 1 { free(blocks[index]) }
        #expect(before - after >= 16 * 1024, "at least 16 of the 24 MiB freed went back without a trim (\(before) KiB → \(after) KiB)")
    }
}

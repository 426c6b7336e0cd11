import CMalloc
import Dispatch
import GRDBSQLite
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives the free memory malloc holds back to the system once a minute, off the loop,
/// and keeps malloc to few arenas.
/// glibc keeps freed chunks in its arenas and returns only the top of a heap by itself,
/// so a node whose tables all sat at their bounds still showed its resident memory
/// creeping up in the soak (PERFORMANCE.md): in one node at 20 MB of its own memory, 5
/// MB were free chunks that one `malloc_trim` gave back.
enum MemoryTrim {
    /// A trim every 10 s was tried (jemalloc's decay) and the soak's trend was no better
    /// (PERFORMANCE.md).
    static let intervalSeconds: Int64 = 60

    /// Starts the periodic trim on `loop`'s timer; the trim itself runs on a utility
    /// queue, since it walks every arena and must not hold up the network's loop.
    static func start(on loop: any EventLoop) -> RepeatedTask {
        let queue = DispatchQueue(label: "poe.memory-trim", qos: .utility)
        let interval = TimeAmount.seconds(intervalSeconds)
        return loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            queue.async { trim() }
        }
    }

    /// glibc's `malloc_trim`, looked up at run time: it is declared in <malloc.h>, which
    /// the Glibc module does not bring in, and a libc without it (musl) simply skips trims.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    static var isAvailable: Bool { mallocTrim != nil }

    /// glibc makes up to eight malloc arenas per core, one more each time a thread finds
    /// the others locked, and each keeps its own free chunks: the node's threads (the loop,
    /// NIO's, the job runners, the API's) spread what a burst frees over many arenas, where
    /// it stays resident. Two suffice for a node whose work is one loop.
    static let arenasMax: Int32 = 2

    /// Blocks from this size up are mapped on their own and unmapped when freed. glibc
    /// starts at 128 KiB but raises the bar to the size of each large block freed, so after
    /// the first checkpoint an archive encoding (the whole state, half a megabyte and
    /// growing with the anchors) is carved from an arena and stays resident until the
    /// next trim. A fixed threshold keeps such transient buffers out of the arenas (it did
    /// not flatten the soak's trend: PERFORMANCE.md).
    static let mmapThresholdBytes: Int32 = 128 << 10

    /// Sets the arena count and the fixed mmap threshold; call before the node's threads
    /// start (arenas made earlier stay).
    static func configureMalloc() {
        _ = mallopt?(mallocArenaMax, arenasMax)
        _ = mallopt?(mallocMmapThreshold, mmapThresholdBytes)
    }

    /// `M_ARENA_MAX` and `M_MMAP_THRESHOLD` of <malloc.h>.
    private static let mallocArenaMax: Int32 = -8
    private static let mallocMmapThreshold: Int32 = -3

    private static let mallopt: (@convention(c) (Int32, Int32) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Trims, then reads what malloc holds, for the heap gauges: read right after a trim,
    /// `held` is close to what the arenas cannot give back.
    static func trim() {
        _ = mallocTrim?(0)
        lastUsage.withLock { $0 = HeapUsage.read() }
    }

    /// What malloc held after the last trim (nil before the first, or without glibc).
    static let lastUsage = Mutex<HeapUsage?>(nil)
}

/// Bytes of the node's heap, as malloc counts them. A leak raises `inUse`; memory that
/// malloc keeps in its arenas after frees (fragmentation) raises only `held`, and the
/// process's resident memory follows `held`. `sqlite` is the part of `inUse` that SQLite
/// holds, mostly its page caches, which fill up to their bound as the ledger grows.
struct HeapUsage: Sendable, Equatable {
    /// Handed out and not freed: chunks in use in every arena, and blocks mapped alone.
    var inUse: Int
    /// Taken from the system: every arena's size, and blocks mapped alone.
    var held: Int
    /// Allocated by SQLite (every connection of the process) and not freed.
    var sqlite: Int

    /// Now (it walks every arena under its lock); nil where the libc does not count.
    static func read() -> HeapUsage? {
        var inUse = 0
        var held = 0
        guard poe_heap_usage(&inUse, &held) == 1 else { return nil }
        return HeapUsage(inUse: inUse, held: held, sqlite: Int(sqlite3_memory_used()))
    }
}

import Dispatch
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Gives the free memory malloc holds back to the system, once a minute, off the loop.
/// glibc keeps freed chunks in its arenas and returns only the top of a heap by itself,
/// so a node whose tables all sat at their bounds still showed its resident memory
/// creeping up in the soak (PERFORMANCE.md): in one node at 20 MB of its own memory, 5
/// MB were free chunks that one `malloc_trim` gave back.
enum MemoryTrim {
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

    static func trim() { _ = mallocTrim?(0) }
}

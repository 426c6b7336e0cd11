import PoECrypto
import PoEWire

/// Decodes `bytes` as `T`; when it decodes, the value must re-encode to exactly the
/// same bytes (one encoding per value). A violation traps, which libFuzzer reports.
func checkCanonical<T: WireCodable>(_ type: T.Type, _ bytes: [UInt8]) {
    guard let value = try? T.decode(wireBytes: bytes) else { return }
    precondition(value.wireBytes == bytes, "\(T.self): accepted a non-canonical encoding")
}

/// The first byte picks the decoder, so one corpus covers every message type.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    for target in FuzzTargets.all where target.selector == selector % UInt8(FuzzTargets.all.count) {
        target.run(bytes)
    }
    return 0
}

import Foundation
import Hummingbird
import HummingbirdTesting
import PoENode

func testApp(_ backend: FakeBackend) -> some ApplicationProtocol {
    Application(router: makeAPIRouter(backend: backend))
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// The `{"error"}` text, or nil when the body is not an error body.
    var errorText: String? { try? decode(APIErrorBody.self).error }
}

extension ByteBuffer {
    init(_ bytes: [UInt8]) { self.init(bytes: bytes) }
}

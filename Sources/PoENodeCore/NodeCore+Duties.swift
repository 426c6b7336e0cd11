import PBFT
import PoECrypto
import PoEDuties
import PoELedger

extension NodeCore {
    /// Steps the duties and performs their actions.
    func stepDuties(_ event: DutyEvent) throws(NodeHalt) {
        var events = [event]
        while !events.isEmpty {
            let next = events.removeFirst()
            for action in duties.step(next) {
                environment.observe(.duty(action))
                if let followUp = try perform(action) { events.append(followUp) }
            }
        }
    }

    /// Performs one duty action; returns what it leads to at once, if anything.
    func perform(_ action: DutyAction) throws(NodeHalt) -> DutyEvent? {
        switch action {
        case .fetchBlob(let digest):
            // The blob may have reached the store by another way since the job was taken up
            // (an upload, or the output or log of a job this node ran).
            if environment.blobs.contains(digest) { return .blobStored(digest) }
            outbox.append((.blobRequest(digest), nil))
        case .runJob(let assignment):
            if !environment.startJob(assignment) { return .jobNotRun(jobID: assignment.jobID, .runnerFull) }
        case .submit(let transaction):
            let request = ClientRequest(
                client: transaction.sender, timestamp: transaction.nonce, operation: transaction.body,
                signature: transaction.signature)
            // The node's own transaction enters consensus as a client's would.
            try submit(request, fromClient: true)
        case .resend(let request):
            outbox.append((.request(request), nil))
            // The local replica may have dropped it (pending list full): offer it again.
            try step(.request(request))
        case .refuse(let request, let reason):
            let id = NodeCore.transactionID(request)
            published.withLock { published in
                if case .pending? = published.transactions[id] { published.transactions.set(id, .refused(reason: reason)) }
            }
        }
        return nil
    }

    // MARK: blobs between peers

    /// Blob bytes answered to peers in one input group, at most: what one group may hold
    /// in memory for them, however many requests its peers send.
    public static let blobBytesServedPerGroupMax = 16 << 20

    func serveBlob(_ digest: Digest, to peer: PublicKey) {
        guard blobBytesServed < NodeCore.blobBytesServedPerGroupMax else {
            counters.blobRequestsDeferred += 1
            return
        }
        guard let bytes = try? environment.blobs.read(digest), bytes.count <= PeerMessage.blobBytesMax else { return }
        guard blobBytesServed + bytes.count <= NodeCore.blobBytesServedPerGroupMax else {
            counters.blobRequestsDeferred += 1
            return
        }
        blobBytesServed += bytes.count
        outbox.append((.blobResponse(digest, bytes), peer))
    }

    /// Keeps a blob a peer sent, if it was wanted and its bytes hash to its name.
    func receiveBlob(_ digest: Digest, bytes: [UInt8]) throws(NodeHalt) {
        guard duties.wantedBlobs.contains(digest) else { return }
        if !environment.blobs.contains(digest) {
            guard Digest.sha256(bytes) == digest else {
                counters.invalidPeerMessages += 1
                return
            }
            do { _ = try environment.blobs.store(bytes) } catch {
                // Counted and logged; the duties ask for the blob again on their next retry.
                counters.blobStoreFailures += 1
                environment.observe(.log(.error, "storing a fetched blob failed", ["blob": digest.short, "error": "\(error)"]))
                return
            }
        }
        // Wanted and held (perhaps stored by another way meanwhile): the jobs waiting go on.
        try stepDuties(.blobStored(digest))
    }
}

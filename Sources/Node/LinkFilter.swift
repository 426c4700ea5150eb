import ChainCore
import Foundation
import Synchronization

/// Links the operator has cut: member ids listed one per line in `DATA/blocked-peers` (re-read every
/// 200 ms). Messages to and from them are dropped at the node, which is how the multi-process tests
/// partition a network without privileges; an operator can use it to isolate a misbehaving peer.
public final class LinkFilter: Sendable {
    let path: String
    private let state = Mutex<(blocked: Set<MemberID>, checked: ContinuousClock.Instant?)>(([], nil))

    public init(dataDir: String) { path = dataDir + "/blocked-peers" }

    public func isBlocked(_ member: MemberID) -> Bool {
        state.withLock { s in
            let now = ContinuousClock.now
            let fresh = s.checked.map { now - $0 <= .milliseconds(200) } ?? false
            if !fresh {
                s.checked = now
                s.blocked = Self.read(path)
            }
            return s.blocked.contains(member)
        }
    }

    static func read(_ path: String) -> Set<MemberID> {
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 16 else { return [] }
        return Set(
            String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap {
                try? MemberID($0.trimmingCharacters(in: .whitespaces))
            })
    }
}

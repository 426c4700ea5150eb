import ChainCore
import Consensus

/// One scheduled happening of the simulation.
struct SimulationEvent: Sendable {
    enum Kind: Sendable {
        case deliver(to: Int, from: Int, ConsensusMessage)
        case timer(node: Int, round: Round, generation: Int)
        case proposalDue(node: Int, round: Round, generation: Int)
        case submit
        case crash(Int)
        case restart(Int)
        case split([Int])
        case rejoin
        case heal
        case hugeRound(Int)
    }

    var time: Int64
    var sequence: UInt64
    var kind: Kind
}

/// A binary min-heap ordered by (time, insertion sequence), so simultaneous events run in the
/// order they were scheduled and a seed replays exactly.
struct EventQueue: Sendable {
    private var heap: [SimulationEvent] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func schedule(at time: Int64, _ kind: SimulationEvent.Kind) {
        sequence += 1
        heap.append(SimulationEvent(time: time, sequence: sequence, kind: kind))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> SimulationEvent? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count && precedes(heap[left], heap[best]) { best = left }
            if right < heap.count && precedes(heap[right], heap[best]) { best = right }
            if best == parent { break }
            heap.swapAt(parent, best)
            parent = best
        }
        return top
    }

    private func precedes(_ a: SimulationEvent, _ b: SimulationEvent) -> Bool {
        a.time < b.time || (a.time == b.time && a.sequence < b.sequence)
    }
}

import ChainCore

/// The replica's round timer. The core sets it every round (a few milliseconds apart under load)
/// to a deadline seconds away; a task per setting, cancelled by the next, cost a task creation, a
/// cancellation and a wake-up per round. Here one task sleeps toward the deadline: a later deadline
/// only moves it (the task wakes at the old one and sleeps on), and only an earlier one, or a
/// cancellation, replaces the task. Owned by the replica actor.
struct RoundTimer {
    private(set) var deadline: (round: Round, atMillis: Int64)?
    /// Bumped when the running task is replaced or cancelled: an older task stops at its next check.
    private(set) var generation = 0
    /// When the running task wakes next (nil: no task, or it is not asleep).
    private var wakesAt: Int64?
    var task: Task<Void, Never>?

    /// Sets the deadline; true when the caller must start a task (with `generation`) for it.
    mutating func set(_ round: Round, atMillis: Int64) -> Bool {
        deadline = (round, atMillis)
        if let wakesAt, atMillis >= wakesAt { return false }
        task?.cancel()
        generation &+= 1
        wakesAt = nil
        return true
    }

    /// For the task of `generation`: nil when it should stop; otherwise the round and how long to
    /// sleep before asking again (0: fire the round's timeout now, the deadline is consumed).
    mutating func due(generation g: Int, nowMillis: Int64) -> (Round, Int64)? {
        guard g == generation, let d = deadline else {
            if g == generation { wakesAt = nil }
            return nil
        }
        let delay = d.atMillis - nowMillis
        if delay > 0 {
            wakesAt = d.atMillis
            return (d.round, delay)
        }
        deadline = nil
        wakesAt = nil
        return (d.round, 0)
    }

    /// Stops the timer.
    mutating func cancel() {
        deadline = nil
        task?.cancel()
        task = nil
        generation &+= 1
        wakesAt = nil
    }
}

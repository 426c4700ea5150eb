import ChainCore
import Testing

@testable import Node

/// The round timer keeps one task while deadlines only move later, replaces it when a deadline
/// comes earlier, and fires each deadline once.
struct RoundTimerTests {
    @Test func laterDeadlinesMoveTheSleepingTaskEarlierOnesReplaceIt() {
        var t = RoundTimer()
        var startsTask = t.set(Round(1), atMillis: 3_000)
        #expect(startsTask)
        let first = t.generation
        // The task asks: sleep until 3,000.
        var due = t.due(generation: first, nowMillis: 0)
        #expect(due?.0 == Round(1) && due?.1 == 3_000)
        // Rounds 2 and 3 move the deadline later: no new task.
        startsTask = t.set(Round(2), atMillis: 3_010)
        #expect(!startsTask)
        startsTask = t.set(Round(3), atMillis: 3_020)
        #expect(!startsTask)
        // Waking at 3,000, the task sleeps on to round 3's deadline, then fires round 3 once.
        due = t.due(generation: first, nowMillis: 3_000)
        #expect(due?.1 == 20)
        due = t.due(generation: first, nowMillis: 3_020)
        #expect(due?.0 == Round(3) && due?.1 == 0)
        due = t.due(generation: first, nowMillis: 3_021)
        #expect(due == nil)
        // A new deadline after firing needs a task again.
        startsTask = t.set(Round(4), atMillis: 9_000)
        #expect(startsTask)
        let second = t.generation
        due = t.due(generation: second, nowMillis: 3_100)
        #expect(due?.1 == 5_900)
        // An earlier deadline replaces the sleeping task; the old one stops at its next check.
        startsTask = t.set(Round(5), atMillis: 4_000)
        #expect(startsTask)
        due = t.due(generation: second, nowMillis: 3_200)
        #expect(due == nil)
        due = t.due(generation: t.generation, nowMillis: 3_200)
        #expect(due?.0 == Round(5) && due?.1 == 800)
        t.cancel()
        due = t.due(generation: t.generation, nowMillis: 5_000)
        #expect(due == nil)
    }
}

import ChainCore

// Time-driven work at the start of each block, each bounded by `sweep_max` per block: retention
// expiry (Art. 16), order expiry (points return), overdue objections (Art. 25), and forgetting
// transaction ids past their expiry.
extension CreditRulesApplication {
    mutating func runSweeps() {
        let budget = Int(max(1, blockParameters.sweepMax))
        sweepExpiry(budget: budget)
        sweepOrders(budget: budget)
        sweepObjections(budget: budget)
        sweepTransactionIDs(budget: budget)
    }

    /// Marks negative records expired, day by day (UTC+8), in the order they were filed.
    mutating func sweepExpiry(budget: Int) {
        let start = state.read(Keys.expiryCursor, as: ExpiryCursor.self)
        var cursor = start ?? ExpiryCursor(day: today, index: 0)
        var steps = 0
        while steps < budget && CivilDate(dayNumber: cursor.day).startMillis <= now {
            steps += 1
            let countKey = Keys.expiryCount(cursor.day)
            let n = state.read(countKey, as: Counter.self)?.value ?? 0
            if cursor.index >= n {
                // No entry can be added for a day that has begun: records past retention are refused.
                if n > 0 { state.put(countKey, nil) }
                cursor = ExpiryCursor(day: cursor.day + 1, index: 0)
                continue
            }
            let entryKey = Keys.expiry(cursor.day, cursor.index)
            if let ref = state.read(entryKey, as: RecordRef.self),
                var record = state.read(Keys.record(ref), as: RecordEntry.self),
                !record.expired, let t = record.expiresAtMillis, t <= now
            {
                record.expired = true
                state.write(Keys.record(ref), record)
                appendAudit(
                    subject: record.subject, actor: context.proposer, action: .recordExpired, purpose: nil,
                    orderID: nil,
                    consentID: nil, detail: "\(ref.typeCode)/\(ref.recordID) v\(record.version)")
            }
            state.put(entryKey, nil)
            cursor.index += 1
        }
        if cursor != start { state.write(Keys.expiryCursor, cursor) }
    }

    /// Expires open orders past their lifetime, oldest first.
    mutating func sweepOrders(budget: Int) {
        let start = state.read(Keys.orderCursor, as: Counter.self)?.value ?? 0
        var next = start
        let end = count("order")
        var steps = 0
        while steps < budget && next < end {
            steps += 1
            guard let order = state.read(Keys.order(next), as: QueryOrder.self) else {
                next += 1
                continue
            }
            if order.status == .open {
                guard order.expiresAtMillis <= now else { break }
                expireOrder(order)
            }
            next += 1
        }
        if next != start { state.write(Keys.orderCursor, Counter(next)) }
    }

    /// Raises one alert per objection left unanswered past its deadline.
    mutating func sweepObjections(budget: Int) {
        let start = state.read(Keys.objectionCursor, as: Counter.self)?.value ?? 0
        var next = start
        let end = count("objection")
        var steps = 0
        while steps < budget && next < end {
            steps += 1
            guard var o = state.read(Keys.objection(next), as: Objection.self) else {
                next += 1
                continue
            }
            if o.status == .open {
                guard o.deadlineMillis <= now else { break }
                o.overdue = true
                state.write(Keys.objection(next), o)
                raiseAlert(
                    "alert.objection_overdue", member: o.publisher, subject: o.body.subject,
                    detail: "objection \(o.id) unanswered after 20 days")
            }
            next += 1
        }
        if next != start { state.write(Keys.objectionCursor, Counter(next)) }
    }

    /// Forgets unique ids of envelopes whose expiry height has passed (they can no longer be
    /// included, so no replay record is needed), oldest first, one replay record (a block's ids of
    /// one expiry height) per unit of budget.
    mutating func sweepTransactionIDs(budget: Int) {
        state.pruneReplayRecords(before: context.height.value, budget: budget)
    }
}

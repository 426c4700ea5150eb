import ChainCore

// Query orders, deliveries, receipts and points (Art. 13, 18, 22; mission.md "Query order",
// "Delivery", "Incentives").
extension CreditRulesApplication {
    mutating func placeOrder(_ p: PlaceOrderPayload, by signer: MemberID) throws {
        let bank = try requireMember(signer)
        guard let consent = state.read(Keys.consent(p.consentID), as: ConsentEntry.self) else {
            throw CreditRulesError("order.unknown_consent", "every order cites a registered consent")
        }
        // From here a rejection is also logged for the subject (Art. 22).
        rejectionAudit = (consent.body.subject, p.purpose, p.consentID)
        let roles = state.read(Keys.purposes(p.purpose), as: RoleList.self)?.roles ?? []
        guard roles.contains(bank.role) else {
            throw CreditRulesError("order.purpose_not_allowed", "\(bank.role) may not query for \(p.purpose)")
        }
        try checkConsent(consent, bank: signer, purpose: p.purpose)
        guard !p.types.isEmpty else { throw CreditRulesError("order.no_types") }
        guard Set(p.types).count == p.types.count else { throw CreditRulesError("order.duplicate_type") }
        let params = blockParameters
        if p.purpose == .loanApplication && p.loanReference == nil && params.requireLoanReference != 0 {
            throw CreditRulesError("order.reference_missing", "a loan application order cites its application")
        }
        let subject = consent.body.subject
        var items: [OrderItem] = []
        for code in p.types {
            let entry = try activeType(code)
            guard consent.body.covers(entry.type) || entry.type.isOpenUnderAnyConsent else {
                throw CreditRulesError("order.scope_not_covered", "\(code) is outside the consent's scope")
            }
            for rid in recordIDs(subject: subject, type: code) {
                let ref = RecordRef(typeCode: code, recordID: rid)
                guard let record = state.read(Keys.record(ref), as: RecordEntry.self),
                    record.isDeliverable(atMillis: now)
                else { continue }
                items.append(
                    OrderItem(
                        record: ref, version: record.version, commitment: record.commitment,
                        publisher: record.publisher,
                        price: entry.type.pricePoints))
                guard items.count <= Int(params.orderRecordsMax) else {
                    throw CreditRulesError("order.too_many_records", "narrow the requested types")
                }
            }
        }
        let total = items.reduce(Int64(0)) { $0 + $1.price }
        guard points(signer) >= total else {
            throw CreditRulesError("points.insufficient", "the order needs \(total) points")
        }
        let id = nextID("order")
        createdDetail = "order \(id)"
        let order = QueryOrder(
            id: id, bank: signer, subject: subject, consentID: p.consentID, purpose: p.purpose,
            loanReference: p.loanReference, types: p.types, items: items, reservedPoints: total, placedAtMillis: now,
            height: context.height.value, expiresAtMillis: now + params.orderLifetimeMillis,
            status: items.isEmpty ? .fulfilled : .open)
        state.write(Keys.order(id), order)
        addPoints(signer, -total)
        var c = consent
        c.orders += 1
        state.write(Keys.consent(p.consentID), c)
        appendAudit(
            subject: subject, actor: signer, action: .orderPlaced, purpose: p.purpose, orderID: id,
            consentID: p.consentID, detail: p.types.joined(separator: ","))
        rejectionAudit = nil
        // Supervision rules.
        if p.purpose == .loanApplication && p.loanReference == nil {
            raiseAlert("alert.no_loan_reference", member: signer, subject: subject, detail: "order \(id)")
        }
        if c.orders == UInt64(max(1, params.alertConsentUsesMax)) + 1 {
            raiseAlert(
                "alert.consent_reuse", member: signer, subject: subject, detail: "consent used \(c.orders) times")
        }
        countDailyOrder(signer, params)
    }

    mutating func countDailyOrder(_ bank: MemberID, _ params: CreditParameters) {
        let day = today
        let key = Keys.dailyOrders(bank, day)
        let n = (state.read(key, as: Counter.self)?.value ?? 0) + 1
        state.write(key, Counter(n))
        if n == UInt64(max(0, params.alertDailyOrdersMax)) + 1 {
            raiseAlert("alert.daily_orders", member: bank, subject: nil, detail: "\(n) orders today")
        }
        let window = max(1, min(params.alertSpikeWindowDays, 60))
        var sum: UInt64 = 0
        for d in 1...window { sum += state.read(Keys.dailyOrders(bank, day - d), as: Counter.self)?.value ?? 0 }
        // Fires once per day: the condition is monotonic in n within a day.
        func spiking(_ count: UInt64) -> Bool {
            count >= UInt64(max(0, params.alertSpikeMinimum))
                && count * 100 * UInt64(window) > sum * UInt64(max(0, params.alertSpikePercent))
        }
        if spiking(n) && !spiking(n - 1) {
            raiseAlert("alert.order_spike", member: bank, subject: nil, detail: "\(n) orders today")
        }
    }

    func openOrder(_ id: UInt64) throws -> QueryOrder {
        guard let order = state.read(Keys.order(id), as: QueryOrder.self) else {
            throw CreditRulesError("order.unknown")
        }
        guard order.status == .open else { throw CreditRulesError("order.closed") }
        guard now < order.expiresAtMillis else { throw CreditRulesError("order.expired") }
        return order
    }

    mutating func recordDelivery(_ p: RecordDeliveryPayload, by signer: MemberID) throws {
        var order = try openOrder(p.orderID)
        guard !p.items.isEmpty else { throw CreditRulesError("delivery.empty") }
        for d in p.items {
            guard let i = order.items.firstIndex(where: { $0.record == d.record }) else {
                throw CreditRulesError("delivery.unknown_record", "not listed by the order")
            }
            guard order.items[i].publisher == signer else {
                throw CreditRulesError("delivery.not_source", "only the record's source delivers it")
            }
            guard order.items[i].state == .pending else { throw CreditRulesError("delivery.already_delivered") }
            order.items[i].state = .delivered
            order.items[i].ciphertextHash = d.ciphertextHash
        }
        state.write(Keys.order(p.orderID), order)
        appendAudit(
            subject: order.subject, actor: signer, action: .delivered, purpose: order.purpose, orderID: order.id,
            consentID: order.consentID, detail: "\(p.items.count) records")
    }

    mutating func recordReceipt(_ p: RecordReceiptPayload, by signer: MemberID) throws {
        var order = try openOrder(p.orderID)
        guard order.bank == signer else { throw CreditRulesError("receipt.not_bank", "only the ordering bank") }
        guard !p.items.isEmpty else { throw CreditRulesError("receipt.empty") }
        var seen = Set<RecordRef>()
        for r in p.items {
            guard seen.insert(r.record).inserted else { throw CreditRulesError("receipt.duplicate_record") }
            guard let i = order.items.firstIndex(where: { $0.record == r.record }) else {
                throw CreditRulesError("receipt.unknown_record")
            }
            guard order.items[i].state == .delivered else { throw CreditRulesError("receipt.not_delivered") }
            let item = order.items[i]
            order.reservedPoints -= item.price
            if r.verified {
                order.items[i].state = .verified
                addPoints(item.publisher, item.price)
                updateStatement(item.publisher) {
                    $0.earned += item.price
                    $0.deliveries += 1
                }
                updateStatement(signer) { $0.spent += item.price }
                addRecipient(item.record, Recipient(bank: signer, version: item.version, orderID: order.id))
            } else {
                order.items[i].state = .mismatch
                addPoints(signer, item.price)
                updateStatement(signer) { $0.refunded += item.price }
                raiseAlert(
                    "alert.delivery_mismatch", member: item.publisher, subject: order.subject,
                    detail: "order \(order.id)")
            }
        }
        if order.items.allSatisfy({ $0.state == .verified || $0.state == .mismatch }) {
            order.status = .fulfilled
        }
        state.write(Keys.order(p.orderID), order)
        let verified = p.items.filter(\.verified).count
        appendAudit(
            subject: order.subject, actor: signer, action: .receipt, purpose: order.purpose, orderID: order.id,
            consentID: order.consentID, detail: "\(verified) verified, \(p.items.count - verified) mismatched")
    }

    mutating func addRecipient(_ ref: RecordRef, _ r: Recipient) {
        let key = Keys.recipients(ref)
        var list = state.read(key, as: RecipientList.self)?.items ?? []
        list.append(r)
        if list.count > RecipientList.max { list.removeFirst(list.count - RecipientList.max) }
        state.write(key, RecipientList(list))
    }

    /// Returns an expired order's remaining reservation to the bank.
    mutating func expireOrder(_ order: QueryOrder) {
        var order = order
        for i in order.items.indices where order.items[i].state == .pending || order.items[i].state == .delivered {
            order.items[i].state = .lapsed
        }
        let refund = order.reservedPoints
        order.reservedPoints = 0
        order.status = .expired
        state.write(Keys.order(order.id), order)
        if refund > 0 {
            addPoints(order.bank, refund)
            updateStatement(order.bank) { $0.refunded += refund }
        }
    }
}

import ChainCore

// Publishing commitments (mission.md, "Publish"; Art. 16 retention).
extension CreditRulesApplication {
    mutating func publish(_ batch: PublishCommitmentsPayload, by signer: MemberID) throws {
        guard !batch.items.isEmpty else { throw CreditRulesError("commitment.empty_batch") }
        guard batch.items.count <= Int(blockParameters.commitmentBatchMax) else {
            throw CreditRulesError(
                "commitment.batch_too_large", "at most \(blockParameters.commitmentBatchMax) per batch")
        }
        var seen = Set<RecordRef>()
        for (i, item) in batch.items.enumerated() {
            guard seen.insert(RecordRef(typeCode: item.typeCode, recordID: item.recordID)).inserted else {
                throw CreditRulesError("commitment.duplicate_in_batch", "item \(i)")
            }
            do {
                try applyCommitment(item, by: signer, objectionID: nil)
            } catch let e as CreditRulesError {
                throw CreditRulesError(e.code, "item \(i): \(e.reason)")
            }
        }
    }

    /// The publishing member and schema of a type that may be published or ordered now.
    mutating func activeType(_ code: String) throws -> DataTypeEntry {
        let entry: DataTypeEntry
        if let cached = typeCache[code] {
            entry = cached
        } else {
            guard let e = state.read(Keys.type(code), as: DataTypeEntry.self) else {
                throw CreditRulesError("catalog.unknown_type", code)
            }
            typeCache[code] = e
            entry = e
        }
        guard !entry.suspended else { throw CreditRulesError("catalog.type_suspended", code) }
        return entry
    }

    /// When a negative record stops being deliverable: `retention_years` after the event end
    /// (`event_end_field`), else after the event start; an unset end on a type that has an end
    /// field means the event is ongoing (no expiry yet). Non-negative records do not expire.
    static func expiry(of item: CommitmentItem, type: DataType) -> Int64? {
        guard type.negative, let years = type.retentionYears else { return nil }
        let base: Int32?
        if type.eventEndField != nil {
            base = item.eventEnd
        } else {
            base = item.eventStart
        }
        guard let day = base else { return nil }
        return CivilDate(dayNumber: Int64(day)).adding(years: years).startMillis
    }

    mutating func applyCommitment(_ item: CommitmentItem, by signer: MemberID, objectionID: UInt64?) throws {
        let entry = try activeType(item.typeCode)
        let type = entry.type
        guard entry.publisher == signer else {
            throw CreditRulesError("commitment.not_publisher", "only the type's source publishes it")
        }
        guard !item.recordID.isEmpty else { throw CreditRulesError("commitment.bad_record_id") }
        guard item.version >= 1 else { throw CreditRulesError("commitment.bad_version", "versions start at 1") }
        guard item.negative == type.negative else {
            throw CreditRulesError("commitment.negative_mismatch", "the flag must match the catalog")
        }
        if type.negative && item.eventStart == nil {
            throw CreditRulesError("commitment.missing_event_start", "negative records carry their event start")
        }
        if let s = item.eventStart, let e = item.eventEnd, e < s {
            throw CreditRulesError("commitment.bad_event_dates", "the event ends before it starts")
        }
        if type.eventEndField == nil && item.eventEnd != nil {
            throw CreditRulesError("commitment.bad_event_dates", "the type has no event end")
        }
        let expiresAt = Self.expiry(of: item, type: type)
        if let t = expiresAt, t <= now {
            throw CreditRulesError("commitment.already_expired", "past its retention (Art. 16)")
        }
        let ref = RecordRef(typeCode: item.typeCode, recordID: item.recordID)
        let key = Keys.record(ref)
        var record: RecordEntry
        if var old = state.read(key, as: RecordEntry.self) {
            guard old.subject == item.subject else {
                throw CreditRulesError("commitment.subject_mismatch", "a record keeps its subject")
            }
            guard item.version > old.version else {
                throw CreditRulesError("commitment.version_not_increasing", "versions are monotonic")
            }
            old.history.append(
                RecordVersion(
                    version: old.version, commitment: old.commitment, publishedAtMillis: old.publishedAtMillis,
                    objectionID: objectionID))
            if old.history.count > RecordEntry.historyMax {
                old.history.removeFirst(old.history.count - RecordEntry.historyMax)
            }
            old.version = item.version
            old.commitment = item.commitment
            old.eventStart = item.eventStart
            old.eventEnd = item.eventEnd
            old.publisher = signer
            old.publishedAtMillis = now
            old.expiresAtMillis = expiresAt
            old.expired = false
            record = old
        } else {
            record = RecordEntry(
                item: item, publisher: signer, nowMillis: now, height: context.height.value, expiresAtMillis: expiresAt)
            let indexKey = Keys.subjectRecords(item.subject, item.typeCode)
            var ids = state.read(indexKey, as: RecordIDList.self)?.ids ?? []
            guard ids.count < RecordIDList.max else {
                throw CreditRulesError("commitment.subject_type_full", "too many records of one type for a subject")
            }
            ids.append(item.recordID)
            state.write(indexKey, RecordIDList(ids))
        }
        state.write(key, record)
        if let t = expiresAt { scheduleExpiry(ref, at: t) }
    }

    /// Files the record under its expiry day (UTC+8) for the bounded sweep.
    mutating func scheduleExpiry(_ ref: RecordRef, at millis: Int64) {
        let day = CivilDate.dayNumber(timestampMillis: millis)
        let countKey = Keys.expiryCount(day)
        let n = state.read(countKey, as: Counter.self)?.value ?? 0
        state.write(Keys.expiry(day, n), ref)
        state.write(countKey, Counter(n + 1))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// OS processes of a local cluster: started in their own session (so a terminal's Ctrl-C or the
/// starting command's exit does not reach them), stopped by PID only.
public enum LocalProcess {
    /// Starts `executable` with `arguments`, stdout and stderr appended to `logPath`, in this
    /// process's environment plus `environmentDefaults` (for the names it does not set). Returns
    /// the PID.
    public static func spawn(
        executable: String, arguments: [String], logPath: String, environmentDefaults: [String: String] = [:]
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        #if canImport(Glibc)
            // POSIX_SPAWN_SETSID (glibc ≥ 2.26) is 0x80; the constant is behind _GNU_SOURCE, which
            // Swift's Glibc module does not define.
            let setsid: Int32 = 0x80
            posix_spawnattr_setflags(&attr, Int16(setsid | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigmask(&attr, &none)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigdefault(&attr, &all)
        #endif
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var inherited: [String] = []
        var p = environ
        while let entry = p.pointee {
            inherited.append(String(cString: entry))
            p += 1
        }
        let set = Set(inherited.map { String($0.prefix { $0 != "=" }) })
        let added = environmentDefaults.filter { !set.contains($0.key) }.sorted { $0.key < $1.key }
        let envp = (inherited + added.map { "\($0.key)=\($0.value)" }).map { strdup($0) } + [nil]
        defer { for e in envp { free(e) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
        guard rc == 0 else {
            throw NodeError(
                code: "process.spawn_failed", reason: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Runs `executable` to completion (output appended to `logPath`) and returns its exit status.
    public static func run(
        executable: String, arguments: [String], logPath: String, environmentDefaults: [String: String] = [:]
    ) async throws -> Int32 {
        let pid = try spawn(
            executable: executable, arguments: arguments, logPath: logPath, environmentDefaults: environmentDefaults)
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            if r < 0 { return -1 }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// True while the process exists (a child of ours that exited is reaped here, so it reads false).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Sends `signal` to one process.
    @discardableResult
    public static func signal(_ pid: Int32, _ signal: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, signal) == 0
    }

    /// Sends SIGTERM, waits up to `graceSeconds` for exit, then SIGKILL. Returns true when it had to kill.
    @discardableResult
    public static func stop(_ pid: Int32, graceSeconds: Double = 10) async -> Bool {
        guard isAlive(pid) else { return false }
        signal(pid, SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(Int(graceSeconds * 1000))
        while ContinuousClock.now < deadline {
            if !isAlive(pid) { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        signal(pid, SIGKILL)
        for _ in 0..<100 where isAlive(pid) { try? await Task.sleep(for: .milliseconds(20)) }
        return true
    }

    /// The path of the running executable (to start more of itself).
    public static var currentExecutable: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }
}

//! Who is writing, and whether a writer is still alive.
//!
//! A scan is registered with its writer's pid, host name and (on Linux) the
//! process start time. When the store is opened, a `running` scan whose
//! writer is gone from this host can only have been killed, so it is marked
//! `interrupted`. The start time guards against pid reuse; a zombie counts
//! as dead. On another host, or where liveness cannot be told, the scan is
//! left alone: wrongly interrupting a live scan is worse than leaving a dead
//! one `running` until someone calls [`crate::Store::mark_interrupted`].

/// Whether a process is alive, as far as this host can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    Alive,
    Dead,
    Unknown,
}

pub(crate) fn current_pid() -> u32 {
    std::process::id()
}

/// A token that changes when a pid is reused: the process start time in
/// clock ticks since boot, where the platform tells it.
pub(crate) fn start_token(pid: u32) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        linux::stat(pid).ok().map(|s| s.start)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

pub(crate) fn liveness(pid: u32, recorded_start: Option<&str>) -> Liveness {
    #[cfg(target_os = "linux")]
    {
        match linux::stat(pid) {
            Ok(stat) => {
                if stat.state == 'Z' || stat.state == 'X' {
                    return Liveness::Dead;
                }
                match recorded_start {
                    Some(start) if start != stat.start => Liveness::Dead,
                    _ => Liveness::Alive,
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Liveness::Dead,
            Err(_) => signal_zero(pid),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = recorded_start;
        signal_zero(pid)
    }
}

/// `kill(pid, 0)`: delivers nothing, only checks that the process exists.
#[cfg(unix)]
fn signal_zero(pid: u32) -> Liveness {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return Liveness::Unknown;
    };
    if pid <= 0 {
        // 0 and negative values address process groups, not one process.
        return Liveness::Unknown;
    }
    // SAFETY: kill with signal 0 has no effect on the target; it only
    // reports whether the pid exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    if rc == 0 {
        return Liveness::Alive;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::ESRCH) => Liveness::Dead,
        Some(libc::EPERM) => Liveness::Alive,
        _ => Liveness::Unknown,
    }
}

#[cfg(not(unix))]
fn signal_zero(_pid: u32) -> Liveness {
    Liveness::Unknown
}

#[cfg(target_os = "linux")]
mod linux {
    pub(super) struct Stat {
        pub state: char,
        pub start: String,
    }

    /// Fields of `/proc/PID/stat` (see proc(5)): the state (field 3) and
    /// the start time (field 22). The command name (field 2) is in
    /// parentheses and may itself contain spaces and parentheses, so the
    /// fields are counted from the last `)`.
    pub(super) fn stat(pid: u32) -> std::io::Result<Stat> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "unexpected /proc stat");
        let rest = text.rfind(')').map(|i| &text[i + 1..]).ok_or_else(bad)?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let state = fields
            .first()
            .and_then(|s| s.chars().next())
            .ok_or_else(bad)?;
        let start = fields.get(19).ok_or_else(bad)?.to_string();
        Ok(Stat { state, start })
    }
}

/// This host's name.
pub fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at
        // most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
            if !name.is_empty() {
                return name;
            }
        }
    }
    ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// `user@host` for the scan record, from the environment.
pub fn who() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    format!("{user}@{}", hostname())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn this_process_is_alive_and_a_child_that_exited_is_dead() {
        let me = current_pid();
        assert_eq!(liveness(me, start_token(me).as_deref()), Liveness::Alive);

        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(liveness(pid, None), Liveness::Dead);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_reused_pid_is_dead() {
        let me = current_pid();
        assert_eq!(liveness(me, Some("not-my-start-time")), Liveness::Dead);
    }

    #[test]
    fn who_has_user_and_host() {
        let w = who();
        assert!(w.contains('@') && !w.ends_with('@'), "{w}");
    }
}

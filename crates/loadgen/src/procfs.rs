//! What the kernel says about the two servers, from `/proc`: CPU time of a process or of
//! this process's threads by name, resident memory, the open-file limit, the load average, and
//! the state of a loopback TCP connection (to see when a server drops a client that stopped
//! reading).

use std::fs;

/// Linux reports `utime`/`stime` in USER_HZ, which is 100 on every architecture it runs on
/// (the ABI fixes it, whatever CONFIG_HZ is).
const USER_HZ: f64 = 100.0;
/// `/proc/net/tcp` state of an established connection.
const TCP_ESTABLISHED: &str = "01";

/// CPU seconds (user + system) spent so far by process `pid`.
pub fn process_cpu_s(pid: u32) -> Option<f64> {
    stat_cpu_s(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU seconds spent so far by this process's threads whose name starts with `prefix`.
pub fn own_threads_cpu_s(prefix: &str) -> f64 {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|t| {
            fs::read_to_string(t.path().join("comm")).is_ok_and(|name| name.starts_with(prefix))
        })
        .filter_map(|t| stat_cpu_s(&fs::read_to_string(t.path().join("stat")).ok()?))
        .sum()
}

/// Resident set size of `pid` ("self" for this process), KiB.
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The machine's 1-minute load average: other work competing for the same cores.
pub fn load_average_1m() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The soft limit on open files of this process.
pub fn open_files_limit() -> Option<u64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Whether the server's side of the loopback connection `server_port` ↔ `client_port` is
/// still established. `false` once the server closed it (FIN_WAIT*, or gone after a reset).
pub fn server_side_established(server_port: u16, client_port: u16) -> bool {
    let Ok(table) = fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    connection_state(&table, server_port, client_port).is_some_and(|st| st == TCP_ESTABLISHED)
}

/// `utime + stime` (fields 14 and 15) of a stat line, in seconds. The command name in
/// parentheses may hold spaces, so fields are counted after its closing parenthesis.
fn stat_cpu_s(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field n sits at index n - 3.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// The hex state of the row whose local port is `local` and remote port is `remote`.
fn connection_state(table: &str, local: u16, remote: u16) -> Option<String> {
    let want_local = format!(":{local:04X}");
    let want_remote = format!(":{remote:04X}");
    table.lines().skip(1).find_map(|row| {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let (l, r, st) = (cols.get(1)?, cols.get(2)?, cols.get(3)?);
        (l.ends_with(&want_local) && r.ends_with(&want_remote)).then(|| st.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_spaces_in_the_name() {
        let line = "1234 (lg client 1) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
        assert_eq!(stat_cpu_s(line), Some(3.0));
    }

    #[test]
    fn connection_rows_by_port_pair() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue\n\
   0: 0100007F:1F90 0100007F:C350 01 00000000:00000000\n\
   1: 0100007F:C350 0100007F:1F90 04 00000000:00000000\n";
        let cases = [
            ("server side", 8080, 50000, Some("01")),
            ("client side", 50000, 8080, Some("04")),
            ("absent", 8080, 50001, None),
        ];
        for (name, local, remote, want) in cases {
            assert_eq!(
                connection_state(table, local, remote).as_deref(),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn this_process_is_readable() {
        assert!(rss_kib("self").is_some_and(|kib| kib > 0));
        assert!(process_cpu_s(std::process::id()).is_some());
        assert!(open_files_limit().is_some());
        assert!(load_average_1m().is_some());
    }
}

//! Hardware sections: `net` (interfaces), `devices` (block devices), `mounts`, `df`.

use std::path::Path;

use super::{list_dir, ls_words, read_first, Out};

/// `net`: one `IF|name|mac|mtu|operstate|type|module|kind|extra` line per `/sys/class/net` entry.
pub(super) fn net(out: &mut Out) {
    out.section("net");
    let base = Path::new("/sys/class/net");
    for n in list_dir(base) {
        let d = base.join(&n);
        if d.is_dir() {
            out.line(&interface_line(&n, &d));
        }
    }
}

/// One interface's `IF|…` line.
fn interface_line(name: &str, d: &Path) -> String {
    let module = std::fs::canonicalize(d.join("device/driver/module"))
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let (mut kind, mut extra) = ("", String::new());
    if d.join("bridge").is_dir() {
        kind = "bridge";
        extra = ls_words(d.join("brif"));
    }
    if d.join("bonding").is_dir() {
        kind = "bonding";
        extra = read_first(d.join("bonding/slaves"));
    }
    let f = |file: &str| read_first(d.join(file));
    format!(
        "IF|{name}|{}|{}|{}|{}|{module}|{kind}|{extra}",
        f("address"),
        f("mtu"),
        f("operstate"),
        f("type"),
    )
}

/// `devices`: `DEV|…` per block device (not loop, ram, zram) and `PART|…` per partition.
pub(super) fn devices(out: &mut Out) {
    out.section("devices");
    let base = Path::new("/sys/block");
    for n in list_dir(base) {
        let b = base.join(&n);
        if !b.is_dir() || ["loop", "ram", "zram"].iter().any(|p| n.starts_with(p)) {
            continue;
        }
        let f = |file: &str| read_first(b.join(file));
        out.line(&format!(
            "DEV|{n}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            f("device/vendor"),
            f("device/model"),
            f("size"),
            f("queue/logical_block_size"),
            f("removable"),
            f("queue/rotational"),
            f("queue/scheduler"),
            f("queue/discard_granularity"),
            ls_words(b.join("holders")),
        ));
        for p in list_dir(&b)
            .into_iter()
            .filter(|p| p.starts_with(n.as_str()))
        {
            let pd = b.join(&p);
            if pd.join("partition").exists() {
                let (size, start) = (read_first(pd.join("size")), read_first(pd.join("start")));
                out.line(&format!("PART|{n}|{p}|{size}|{start}"));
            }
        }
    }
}

/// `mounts`: `/etc/mtab`, else `/proc/mounts`.
pub(super) fn mounts(out: &mut Out) {
    out.section("mounts");
    if !out.cat("/etc/mtab") {
        out.cat("/proc/mounts");
    }
}

/// A mount table field with the kernel's octal escapes (`\040`) decoded.
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut outb = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(d) if b[i] == b'\\' => {
                let v = d.iter().fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
                outb.push(v as u8);
                i += 4;
            }
            _ => {
                outb.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&outb).into_owned()
}

/// One `df -P -k` row: source, 1K-blocks, used, available, capacity, mount point.
type DfRow = [String; 6];

/// The `df -P -k -a` row for the file system mounted at `mount` from `source`; `None` when
/// `df` would leave it out.
fn df_row(source: &str, mount: &str) -> Option<DfRow> {
    let st = match nix::sys::statvfs::statvfs(Path::new(mount)) {
        Ok(st) => st,
        Err(nix::errno::Errno::EACCES | nix::errno::Errno::ENOENT) => {
            let dash = || "-".to_string();
            return Some([source.into(), dash(), dash(), dash(), dash(), mount.into()]);
        }
        Err(_) => return None,
    };
    let unit = if st.fragment_size() > 0 {
        st.fragment_size()
    } else {
        st.block_size()
    } as u128;
    let kib = |blocks: u128| (blocks * unit).div_ceil(1024);
    let total = kib(st.blocks() as u128);
    let used = kib((st.blocks() as u128).saturating_sub(st.blocks_free() as u128));
    let avail = kib(st.blocks_available() as u128);
    let capacity = match used + avail {
        0 => "-".to_string(),
        all => format!("{}%", (used * 100).div_ceil(all)),
    };
    Some([
        source.into(),
        total.to_string(),
        used.to_string(),
        avail.to_string(),
        capacity,
        mount.into(),
    ])
}

/// `df`: `df -P -k -a` over the mount table (`/proc/self/mounts`), columns aligned.
pub(super) fn df(out: &mut Out) {
    out.section("df");
    let table = std::fs::read("/proc/self/mounts").unwrap_or_default();
    let mut rows: Vec<DfRow> = vec![[
        "Filesystem".into(),
        "1024-blocks".into(),
        "Used".into(),
        "Available".into(),
        "Capacity".into(),
        "Mounted on".into(),
    ]];
    for line in String::from_utf8_lossy(&table).lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 2 {
            continue;
        }
        if let Some(row) = df_row(&unescape(w[0]), &unescape(w[1])) {
            rows.push(row);
        }
    }
    let width = |i: usize| rows.iter().map(|r| r[i].len()).max().unwrap_or(0);
    // GNU df's least column widths.
    let widths: Vec<usize> = [14, 5, 5, 5, 4]
        .iter()
        .enumerate()
        .map(|(i, least)| width(i).max(*least))
        .collect();
    for r in &rows {
        out.line(&format!(
            "{:<w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$} {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_fields_unescaped() {
        assert_eq!(unescape(r"/mnt/a\040b"), "/mnt/a b");
        assert_eq!(unescape(r"/x\\y\04"), r"/x\\y\04");
    }
}

//! Which hosts a play runs on and in which groups: the `order` play keyword and `serial`
//! batches (a number, a percentage, or a list of them whose last entry repeats), as
//! ansible-core's `_get_serialized_batches` makes them.

use crate::value::Value;

/// `hosts` (in inventory order) in the play's `order`: `inventory` (default),
/// `reverse_inventory`, `sorted`, `reverse_sorted` or `shuffle`.
pub(crate) fn ordered_hosts(hosts: &[String], order: Option<&str>) -> Vec<String> {
    let mut out = hosts.to_vec();
    match order.unwrap_or("inventory") {
        "reverse_inventory" => out.reverse(),
        "sorted" => out.sort(),
        "reverse_sorted" => {
            out.sort();
            out.reverse();
        }
        "shuffle" => {
            use rand::seq::SliceRandom;
            out.shuffle(&mut rand::thread_rng());
        }
        _ => {}
    }
    out
}

/// One `serial` entry as a batch size for `total` hosts: a number, or a percentage of them
/// (rounded down, at least one). 0 = all the hosts.
fn batch_size(entry: &Value, total: usize) -> usize {
    let text = crate::template::python_str(entry);
    let text = text.trim();
    if let Some(pct) = text.strip_suffix('%') {
        let pct: f64 = pct.trim().parse().unwrap_or(100.0);
        return (((total as f64) * pct / 100.0) as usize).max(1);
    }
    text.parse::<f64>()
        .map(|n| n.max(0.0) as usize)
        .unwrap_or(0)
}

/// Splits hosts into `serial:` batches (absent or 0: one batch).
pub(crate) fn serial_batches(hosts: &[String], serial: Option<&Value>) -> Vec<Vec<String>> {
    let entries: Vec<Value> = match serial {
        Some(Value::Array(list)) if !list.is_empty() => list.clone(),
        Some(v) if !v.is_null() && !v.is_array() => vec![v.clone()],
        _ => Vec::new(),
    };
    if entries.is_empty() {
        return vec![hosts.to_vec()];
    }
    let mut batches = Vec::new();
    let mut rest = hosts;
    let mut i = 0;
    while !rest.is_empty() {
        let entry = &entries[i.min(entries.len() - 1)];
        let size = match batch_size(entry, hosts.len()) {
            0 => rest.len(),
            n => n.min(rest.len()),
        };
        let (batch, tail) = rest.split_at(size);
        batches.push(batch.to_vec());
        rest = tail;
        i += 1;
    }
    if batches.is_empty() {
        batches.push(Vec::new());
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn serial_numbers_percentages_and_lists() {
        let sizes = |serial: Value, n: usize| -> Vec<usize> {
            serial_batches(&hosts(n), Some(&serial))
                .iter()
                .map(Vec::len)
                .collect()
        };
        assert_eq!(sizes(Value::from(2), 5), vec![2, 2, 1]);
        assert_eq!(sizes(Value::String("40%".into()), 5), vec![2, 2, 1]);
        assert_eq!(sizes(Value::String("10%".into()), 5), vec![1; 5]);
        assert_eq!(sizes(serde_json::json!([1, "50%"]), 5), vec![1, 2, 2]);
        assert_eq!(sizes(serde_json::json!([1, 2, 10]), 5), vec![1, 2, 2]);
        assert_eq!(sizes(Value::from(0), 3), vec![3]);
        assert_eq!(serial_batches(&hosts(3), None).len(), 1);
    }

    #[test]
    fn order_keyword() {
        let h = vec!["b".to_string(), "c".into(), "a".into()];
        assert_eq!(ordered_hosts(&h, None), h);
        assert_eq!(ordered_hosts(&h, Some("sorted")), ["a", "b", "c"]);
        assert_eq!(ordered_hosts(&h, Some("reverse_sorted")), ["c", "b", "a"]);
        assert_eq!(
            ordered_hosts(&h, Some("reverse_inventory")),
            ["a", "c", "b"]
        );
        assert_eq!(ordered_hosts(&h, Some("shuffle")).len(), 3);
    }
}

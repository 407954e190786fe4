//! Writing the model out in canonical form: schema key order, two-space
//! indentation, block collections except the one-line kinds (time-off
//! entries and policy settings, written `{ key: value, ... }`), users
//! sorted by email, and every comment where the model attached it.

use super::tree::{Child, Line, Scalar, Trailing, Tree, Value};

/// Lines longer than this are not joined into flow style.
const MAX_WIDTH: usize = 100;

/// What a collection is in the manifest language, for its key order and
/// style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Providers,
    Provider,
    Profiles,
    Profile,
    TimeOffList,
    TimeOffEntry,
    Users,
    User,
    Requests,
    Request,
    Policies,
    PolicyProvider,
    PolicySettings,
    Settings,
    Safety,
    Other,
}

impl Ctx {
    /// The collection under `key` of a mapping of this kind.
    fn under(self, key: Option<&str>) -> Ctx {
        match (self, key) {
            (Ctx::Root, Some("providers")) => Ctx::Providers,
            (Ctx::Root, Some("profiles")) => Ctx::Profiles,
            (Ctx::Root, Some("users")) => Ctx::Users,
            (Ctx::Root, Some("time_off_requests")) => Ctx::Requests,
            (Ctx::Root, Some("policies")) => Ctx::Policies,
            (Ctx::Root, Some("settings")) => Ctx::Settings,
            (Ctx::Providers, _) => Ctx::Provider,
            (Ctx::Profiles, _) => Ctx::Profile,
            (Ctx::Profile | Ctx::User, Some("time_off")) => Ctx::TimeOffList,
            (Ctx::Policies, _) => Ctx::PolicyProvider,
            (Ctx::PolicyProvider, _) => Ctx::PolicySettings,
            (Ctx::Settings, Some("safety")) => Ctx::Safety,
            _ => Ctx::Other,
        }
    }

    /// The kind of an item of a list of this kind.
    fn item(self) -> Ctx {
        match self {
            Ctx::Users => Ctx::User,
            Ctx::Requests => Ctx::Request,
            Ctx::TimeOffList => Ctx::TimeOffEntry,
            _ => Ctx::Other,
        }
    }

    /// The keys in schema order (`src/manifest/raw.rs`); keys not listed
    /// follow, as written. `None`: names the user chose, kept as written.
    pub(super) fn order(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Ctx::Root => &[
                "providers",
                "profiles",
                "users",
                "rosters",
                "rules",
                "time_off_requests",
                "policies",
                "settings",
            ],
            Ctx::Provider => &[
                "type",
                "workspace_id",
                "base_url",
                "api_key_env",
                "requests_per_second",
                "requests_per_minute",
                "balance_update",
            ],
            Ctx::Profile => &["time_off"],
            Ctx::TimeOffEntry => &[
                "policy",
                "policy_type",
                "allowance",
                "balance",
                "allow_refund",
                "unit",
                "from",
                "prorate",
                "rounding",
                "allowance_by_tenure",
            ],
            Ctx::User => &[
                "email",
                "provider",
                "status",
                "start_date",
                "end_date",
                "profile",
                "time_off",
                "attributes",
            ],
            Ctx::Request => &[
                "key",
                "provider",
                "user",
                "policy_type",
                "start_date",
                "end_date",
                "all_day",
                "start_time",
                "end_time",
                "timezone",
                "status",
                "employee_note",
                "manager_note",
                "adjust_for_dst",
                "time_clock_id",
            ],
            Ctx::PolicySettings => &["has_expiration", "carry_over"],
            Ctx::Settings => &[
                "unmanaged_users",
                "safety",
                "prune_requests",
                "recreate_requests",
                "leave_year_start",
                "timezone",
                "rounding",
                "schedule_horizon_days",
            ],
            Ctx::Safety => &[
                "max_deactivations",
                "max_deactivation_percent",
                "max_balance_change",
                "protected_users",
            ],
            _ => return None,
        })
    }

    /// Written `{ key: value, ... }` when it fits on one line.
    fn one_line(self) -> bool {
        matches!(self, Ctx::TimeOffEntry | Ctx::PolicySettings)
    }

    /// A blank line between its children.
    fn spaced(self) -> bool {
        matches!(self, Ctx::Root | Ctx::Users | Ctx::Requests)
    }
}

struct Out<'t> {
    tree: &'t Tree,
    text: String,
}

/// The canonical text of `tree`.
pub(super) fn emit(tree: &Tree) -> String {
    let mut out = Out {
        tree,
        text: String::new(),
    };
    out.comments(0, &normal_tail(&tree.preamble));
    if tree.doc_start {
        out.line(0, "---", None);
    }
    match &tree.root {
        None | Some(Value::Null) => {}
        Some(Value::Scalar(s)) => out.line(0, &s.text, None),
        Some(Value::Collection(c)) if tree.collections[*c].children.is_empty() => {
            out.line(0, if tree.collections[*c].map { "{}" } else { "[]" }, None);
        }
        Some(Value::Collection(c)) => {
            let ctx = if tree.collections[*c].map {
                Ctx::Root
            } else {
                Ctx::Other
            };
            out.collection(*c, 0, ctx, true);
        }
    }
    let tail = normal_tail(&tree.tail);
    let tail = if out.text.is_empty() {
        tail.into_iter().skip_while(|l| *l == Line::Blank).collect()
    } else {
        tail
    };
    out.comments(0, &tail);
    out.text
}

/// The comments above a child: runs of blank lines as one, and blank
/// lines only next to a comment (between children the layout decides).
fn normal_leading(lines: &[Line]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for l in lines {
        if *l == Line::Blank && out.last() == Some(&Line::Blank) {
            continue;
        }
        out.push(l.clone());
    }
    if out.iter().all(|l| *l == Line::Blank) {
        out.clear();
    }
    out
}

/// Runs of blank lines as one; a blank before the first comment kept,
/// none at the end.
fn normal_tail(lines: &[Line]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for l in lines {
        if *l == Line::Blank && out.last() == Some(&Line::Blank) {
            continue;
        }
        out.push(l.clone());
    }
    while out.last() == Some(&Line::Blank) {
        out.pop();
    }
    out
}

impl Out<'_> {
    fn line(&mut self, indent: usize, content: &str, trailing: Option<&Trailing>) {
        let start = self.text.len();
        self.text.extend(std::iter::repeat_n(' ', indent));
        self.text.push_str(content);
        if let Some(t) = trailing {
            let width = self.text[start..].chars().count();
            let at = (t.col.saturating_sub(1)).max(width + 2);
            self.text.extend(std::iter::repeat_n(' ', at - width));
            self.text.push_str(&t.text);
        }
        self.text.push('\n');
    }

    fn blank(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
    }

    fn comments(&mut self, indent: usize, lines: &[Line]) {
        for l in lines {
            match l {
                Line::Blank => self.blank(),
                Line::Comment(c) => self.line(indent, c, None),
            }
        }
    }

    /// The children of collection `c` in output order.
    fn ordered(&self, c: usize, ctx: Ctx) -> Vec<usize> {
        let tree = self.tree;
        let col = &tree.collections[c];
        let mut children = col.children.clone();
        if col.map
            && let Some(order) = ctx.order()
        {
            children.sort_by_key(|&ch| {
                let key = tree.children[ch]
                    .key
                    .as_ref()
                    .and_then(|k| k.string.as_deref());
                key.and_then(|k| order.iter().position(|o| *o == k))
                    .unwrap_or(order.len())
            });
        }
        if !col.map && ctx == Ctx::Users {
            children.sort_by_cached_key(|&ch| {
                let email = email_of(tree, &tree.children[ch]).map(crate::mailbox::key);
                (email.is_none(), email)
            });
        }
        children
    }

    /// A block collection's children at `indent`: its head comments, the
    /// children with theirs, its tail comments.
    fn collection(&mut self, c: usize, indent: usize, ctx: Ctx, root: bool) {
        let tree = self.tree;
        let col = &tree.collections[c];
        let order = self.ordered(c, ctx);
        // The first child's comments up to its last blank line belong to
        // the collection (a file's header, a note on a whole list), and
        // stay first whatever comes first now.
        let source_first = col.children[0];
        let mut first_leading = normal_leading(&tree.children[source_first].leading);
        let mut head = Vec::new();
        if let Some(last_blank) = first_leading.iter().rposition(|l| *l == Line::Blank) {
            head = first_leading[..last_blank]
                .iter()
                .skip_while(|l| **l == Line::Blank)
                .cloned()
                .collect();
            first_leading.drain(..=last_blank);
        } else if root && order[0] != source_first {
            head = std::mem::take(&mut first_leading);
        }
        if !head.is_empty() {
            self.comments(indent, &head);
            self.blank();
        }
        let item_ctx = |ch: &Child| {
            if col.map {
                ctx.under(ch.key.as_ref().and_then(|k| k.string.as_deref()))
            } else {
                ctx.item()
            }
        };
        for (i, &ch) in order.iter().enumerate() {
            let child = &tree.children[ch];
            let leading = if ch == source_first {
                first_leading.clone()
            } else {
                normal_leading(&child.leading)
            };
            if i > 0 && ctx.spaced() && col.map == (ctx == Ctx::Root) {
                self.blank();
            }
            let leading: Vec<Line> = if i == 0 && head.is_empty() {
                leading
                    .into_iter()
                    .skip_while(|l| *l == Line::Blank)
                    .collect()
            } else {
                leading
            };
            self.comments(indent, &leading);
            self.child(child, indent, item_ctx(child));
        }
        self.comments(indent, &normal_tail(&col.tail));
    }

    fn child(&mut self, child: &Child, indent: usize, ctx: Ctx) {
        let prefix = match &child.key {
            Some(k) => format!("{}:", k.text),
            None => "-".to_owned(),
        };
        let trailing = child.trailing.as_ref();
        match &child.value {
            Value::Null => {
                self.line(indent, &prefix, trailing);
                self.comments(indent + 2, &normal_tail(&child.under));
            }
            Value::Scalar(s) => match s.text.split_once('\n') {
                None => self.line(indent, &format!("{prefix} {}", s.text), trailing),
                Some((header, body)) => {
                    // A literal block: its lines indented under the key.
                    self.line(indent, &format!("{prefix} {header}"), trailing);
                    for l in body.split('\n') {
                        if l.is_empty() {
                            self.text.push('\n');
                        } else {
                            self.line(indent + 2, l, None);
                        }
                    }
                }
            },
            Value::Collection(c) => {
                let col = &self.tree.collections[*c];
                if col.children.is_empty() {
                    let empty = if col.map { "{}" } else { "[]" };
                    self.line(indent, &format!("{prefix} {empty}"), trailing);
                } else if let Some(flow) = self.flow(*c, ctx, indent + prefix.len() + 1) {
                    self.line(indent, &format!("{prefix} {flow}"), trailing);
                } else if child.key.is_some() {
                    self.line(indent, &prefix, trailing);
                    self.collection(*c, indent + 2, ctx, false);
                } else {
                    // A block collection in a list item starts on the dash's
                    // line; the comments above its first line go above the
                    // dash, and so does the item's own trailing comment (of
                    // a flow collection that became a block): that line may
                    // hold its first entry's.
                    if let Some(t) = trailing {
                        self.line(indent, &t.text, None);
                    }
                    let mut inner = Out {
                        tree: self.tree,
                        text: String::new(),
                    };
                    inner.collection(*c, indent + 2, ctx, false);
                    let pad = " ".repeat(indent + 2);
                    let mut dashed = false;
                    for line in inner.text.split_inclusive('\n') {
                        let body = line.strip_prefix(pad.as_str());
                        match body {
                            Some(body) if !dashed && !body.starts_with('#') => {
                                self.text.extend(std::iter::repeat_n(' ', indent));
                                self.text.push_str("- ");
                                self.text.push_str(body);
                                dashed = true;
                            }
                            Some(body) if !dashed => {
                                self.text.extend(std::iter::repeat_n(' ', indent));
                                self.text.push_str(body);
                            }
                            _ => self.text.push_str(line),
                        }
                    }
                }
            }
        }
    }

    /// `{ key: value, ... }` for a mapping that is written on one line
    /// here, has only scalars and no comment, and fits.
    fn flow(&self, c: usize, ctx: Ctx, width: usize) -> Option<String> {
        let tree = self.tree;
        let col = &tree.collections[c];
        if !ctx.one_line() || !col.map || !col.tail.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for ch in self.ordered(c, ctx) {
            let child = &tree.children[ch];
            let (Some(key), Value::Scalar(Scalar { text, .. })) = (&child.key, &child.value) else {
                return None;
            };
            if text.contains('\n') {
                return None;
            }
            if !child.leading.iter().all(|l| *l == Line::Blank) || child.trailing.is_some() {
                return None;
            }
            parts.push(format!("{}: {text}", key.text));
        }
        let flow = format!("{{ {} }}", parts.join(", "));
        (width + flow.chars().count() <= MAX_WIDTH).then_some(flow)
    }
}

/// The `email` of a user written as a mapping.
fn email_of<'t>(tree: &'t Tree, child: &Child) -> Option<&'t str> {
    let Value::Collection(c) = child.value else {
        return None;
    };
    let col = &tree.collections[c];
    if !col.map {
        return None;
    }
    col.children.iter().find_map(|&ch| {
        let entry = &tree.children[ch];
        match (&entry.key, &entry.value) {
            (Some(k), Value::Scalar(v)) if k.string.as_deref() == Some("email") => {
                v.string.as_deref()
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::Ctx;

    /// The key orders name exactly the keys the manifest schema has, so a
    /// key added to `raw.rs` cannot be forgotten here (it would sort last).
    #[test]
    fn key_orders_cover_the_schema() {
        let schema = serde_json::to_value(crate::schema::manifest()).unwrap();
        let props = |v: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = v["properties"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let order = |ctx: Ctx| -> Vec<String> {
            let mut keys: Vec<String> = ctx
                .order()
                .unwrap()
                .iter()
                .map(|k| (*k).to_owned())
                .collect();
            keys.sort();
            keys
        };
        let defs = &schema["definitions"];
        assert_eq!(order(Ctx::Root), props(&schema));
        for (ctx, def) in [
            (Ctx::Profile, "Profile"),
            (Ctx::TimeOffEntry, "TimeOffEntry"),
            (Ctx::User, "User"),
            (Ctx::Request, "TimeOffRequest"),
            (Ctx::PolicySettings, "PolicySettings"),
            (Ctx::Settings, "Settings"),
            (Ctx::Safety, "Safety"),
        ] {
            assert_eq!(order(ctx), props(&defs[def]), "{def}");
        }
        let mut provider: Vec<String> = defs["Provider"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(props)
            .collect();
        provider.sort();
        provider.dedup();
        assert_eq!(order(Ctx::Provider), provider);
    }
}

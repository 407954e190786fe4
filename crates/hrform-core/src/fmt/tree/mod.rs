//! From yaml-edit's lossless syntax tree to the formatter's model: the
//! document's mappings, lists and scalars, with every comment and blank
//! line attached to the entry, list item or collection it belongs to.
//!
//! Structure and positions come from yaml-edit's tree (it keeps every
//! comment and space); the value of each scalar comes from the document as
//! hrform itself parsed it (serde-saphyr), matched by line and column, so
//! that the formatter writes exactly what hrform read.
//!
//! Where a comment goes:
//! - on the line of a scalar, a flow collection or a key whose value is a
//!   block collection: the trailing comment of that entry or item;
//! - on a line of its own: before the next entry or item, unless it is
//!   indented into a collection that ends before that next entry, where it
//!   closes that collection (a commented-out last key stays inside), or
//!   under an entry without a value, where it stays under that entry;
//! - a blank line is kept only next to a comment (runs become one).

use std::collections::HashMap;

use rowan::ast::AstNode as _;
use serde_saphyr::Spanned;
use yaml_edit::{Lang, SyntaxKind as K};

use super::Refusal;
use super::scalar;
use crate::manifest::node::Node;

mod comments;

type SNode = rowan::SyntaxNode<Lang>;
type SToken = rowan::SyntaxToken<Lang>;

/// A line of a comment block: a comment, or a blank line between comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line {
    Blank,
    Comment(String),
}

/// A comment at the end of a line of content.
#[derive(Debug, Clone)]
pub(super) struct Trailing {
    pub(super) text: String,
    /// Its column in the source (1-based, in characters): kept where the
    /// content leaves room, so aligned comments stay aligned.
    pub(super) col: usize,
}

/// A scalar as it will be written.
#[derive(Debug, Clone)]
pub(super) struct Scalar {
    pub(super) text: String,
    /// The string, when the scalar is one (for ordering and sorting).
    pub(super) string: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) enum Value {
    /// Nothing written (`key:` or `-` alone).
    Null,
    Scalar(Scalar),
    Collection(usize),
}

/// A mapping entry (with a key) or a list item (without).
#[derive(Debug, Clone)]
pub(super) struct Child {
    pub(super) key: Option<Scalar>,
    pub(super) value: Value,
    /// Where it starts (1-based line and column).
    pub(super) line: usize,
    pub(super) col: usize,
    /// The line a trailing comment of this child is on, if it can have one.
    own_line: Option<usize>,
    /// The collection it belongs to.
    pub(super) parent: usize,
    /// Whether comments can be attached to it (not inside a flow collection).
    block: bool,
    pub(super) leading: Vec<Line>,
    pub(super) trailing: Option<Trailing>,
    /// Comments indented under it when it has no value (`users:` with
    /// every entry commented out).
    pub(super) under: Vec<Line>,
}

#[derive(Debug, Clone)]
pub(super) struct Collection {
    pub(super) map: bool,
    /// Written in flow style in the source.
    pub(super) flow: bool,
    pub(super) children: Vec<usize>,
    /// The child whose value this is (`None` for the document's root).
    pub(super) owner: Option<usize>,
    /// Comments after its last child that belong to it.
    pub(super) tail: Vec<Line>,
}

#[derive(Debug, Default)]
pub(super) struct Tree {
    pub(super) children: Vec<Child>,
    pub(super) collections: Vec<Collection>,
    pub(super) root: Option<Value>,
    /// Comments before an explicit `---`.
    pub(super) preamble: Vec<Line>,
    pub(super) doc_start: bool,
    /// Comments that follow everything and belong to no collection.
    pub(super) tail: Vec<Line>,
    /// Every comment of the source, for the check that none was lost.
    pub(super) comments: Vec<String>,
}

/// Line starts, for offsets to lines and columns.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }
    /// 1-based line and column (in characters) of a byte offset.
    fn pos(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }
    fn count(&self) -> usize {
        self.starts.len()
    }
    fn line(&self, line: usize) -> &'a str {
        let start = self.starts[line - 1];
        let end = self.starts.get(line).map_or(self.text.len(), |e| e - 1);
        &self.text[start..end]
    }
    fn start(&self, line: usize) -> usize {
        self.starts[line - 1]
    }
}

fn offset(range: rowan::TextRange) -> (usize, usize) {
    (
        u32::from(range.start()) as usize,
        u32::from(range.end()) as usize,
    )
}

fn is_trivia(kind: K) -> bool {
    matches!(kind, K::WHITESPACE | K::NEWLINE | K::INDENT | K::COMMENT)
}

/// The first token of a node that is not a space or a comment.
fn first_token(node: &SNode) -> Option<SToken> {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !is_trivia(t.kind()))
}

/// The first and last tokens of a node that are not spaces or comments.
fn content_tokens(node: &SNode) -> Option<(SToken, SToken)> {
    let mut tokens = node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !is_trivia(t.kind()));
    let first = tokens.next()?;
    let last = tokens.last().unwrap_or_else(|| first.clone());
    Some((first, last))
}

struct Builder<'a> {
    lines: &'a Lines<'a>,
    keys: &'a HashMap<(usize, usize), String>,
    values: &'a HashMap<(usize, usize), Node>,
    /// The lines of the document being read.
    range: std::ops::Range<usize>,
    tree: Tree,
    /// Byte ranges whose lines are content, not layout: flow collections
    /// and scalars spanning lines. A comment inside one cannot be kept.
    opaque: Vec<(usize, usize, &'static str)>,
}

/// Read `text` (already parsed by hrform as `docs`) into the formatter's
/// model: one tree per YAML document.
pub(super) fn build(text: &str, docs: &[Spanned<Node>]) -> Result<Vec<Tree>, Refusal> {
    let lines = Lines::new(text);
    let parsed = yaml_edit::YamlFile::parse(text);
    if let Some(err) = parsed.positioned_errors().first() {
        let (line, col) = lines.pos(err.range.start as usize);
        return Err(Refusal::at(
            line,
            col,
            1,
            format!(
                "fmt's lossless YAML reader cannot read this file ({})",
                err.message
            ),
        ));
    }
    // yaml-edit hands out a tree made for editing, where finding a
    // token's offset walks its siblings; a read-only tree over the same
    // green nodes caches offsets.
    let root = SNode::new_root(parsed.tree().syntax().green().into_owned());
    refuse_constructs(&lines, &root)?;
    let mut keys = HashMap::new();
    let mut values = HashMap::new();
    for doc in docs {
        index(doc, &mut keys, &mut values);
    }
    let documents: Vec<SNode> = root
        .children()
        .filter(|n| n.kind() == K::DOCUMENT)
        .filter(|d| d.children().next().is_some() || has_token(d, K::DOC_START))
        .collect();
    let doc_start = |d: &SNode| {
        d.children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == K::DOC_START)
            .map(|t| lines.pos(offset(t.text_range()).0).0)
    };
    // A document's lines run from its `---` (the first: from the top) to
    // the next one's.
    let mut starts: Vec<usize> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if i == 0 {
                1
            } else {
                doc_start(d).unwrap_or_else(|| lines.pos(offset(d.text_range()).0).0)
            }
        })
        .collect();
    if starts.is_empty() {
        starts.push(1);
    }
    let mut trees = Vec::new();
    for (i, &from) in starts.iter().enumerate() {
        let to = starts.get(i + 1).copied().unwrap_or(lines.count() + 1);
        let mut b = Builder {
            lines: &lines,
            keys: &keys,
            values: &values,
            range: from..to,
            tree: Tree::default(),
            opaque: Vec::new(),
        };
        let mut doc_start_line = None;
        if let Some(doc) = documents.get(i) {
            doc_start_line = doc_start(doc);
            b.tree.doc_start = doc_start_line.is_some();
            if let Some(node) = doc.children().next() {
                let value = b.value(&node, None, true)?;
                b.tree.root = Some(value);
            }
        }
        b.attach_comments(&root, doc_start_line)?;
        trees.push(b.tree);
    }
    Ok(trees)
}

/// Refuse what fmt does not rewrite: anchors and aliases (reordering
/// could put an alias before its anchor), tags, directives, explicit
/// document ends, complex keys, merge keys and parse errors.
fn refuse_constructs(lines: &Lines<'_>, root: &SNode) -> Result<(), Refusal> {
    for e in root.descendants_with_tokens() {
        let what = match e.kind() {
            K::ANCHOR | K::AMPERSAND => "an anchor (`&name`)",
            K::REFERENCE | K::ALIAS | K::ASTERISK => "an alias (`*name`)",
            K::TAG | K::TAGGED_NODE | K::EXCLAMATION => "a tag (`!name`)",
            K::DIRECTIVE | K::PERCENT => "a directive (`%YAML`)",
            K::DOC_END => "a document end marker (`...`)",
            K::QUESTION => "a complex key (`?`)",
            K::MERGE_KEY => "a merge key (`<<`)",
            K::ERROR => "text it cannot read",
            _ => continue,
        };
        let (start, end) = offset(e.text_range());
        let (line, col) = lines.pos(start);
        return Err(Refusal::at(
            line,
            col,
            end.saturating_sub(start).max(1),
            format!("fmt does not rewrite a file with {what}"),
        ));
    }
    Ok(())
}

/// Remember where hrform's parse put every scalar and key.
fn index(
    node: &Spanned<Node>,
    keys: &mut HashMap<(usize, usize), String>,
    values: &mut HashMap<(usize, usize), Node>,
) {
    match &node.value {
        Node::Map(entries) => {
            for (k, v) in entries {
                keys.insert(
                    (k.referenced.line() as usize, k.referenced.column() as usize),
                    k.value.clone(),
                );
                index(v, keys, values);
            }
        }
        Node::Seq(items) => items.iter().for_each(|i| index(i, keys, values)),
        scalar => {
            values.insert(
                (
                    node.referenced.line() as usize,
                    node.referenced.column() as usize,
                ),
                scalar.clone(),
            );
        }
    }
}

fn has_token(node: &SNode, kind: K) -> bool {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .any(|t| t.kind() == kind)
}

impl Builder<'_> {
    fn refusal(&self, node: &SNode, message: &str) -> Refusal {
        let (start, end) = offset(node.text_range());
        let (line, col) = self.lines.pos(start);
        Refusal::at(
            line,
            col,
            end.saturating_sub(start).max(1),
            message.to_owned(),
        )
    }

    /// The model of a value node (SCALAR, MAPPING or SEQUENCE).
    fn value(&mut self, node: &SNode, owner: Option<usize>, block: bool) -> Result<Value, Refusal> {
        match node.kind() {
            K::SCALAR => self
                .scalar(node, false)
                .map(|s| s.map_or(Value::Null, Value::Scalar)),
            K::MAPPING | K::SEQUENCE => {
                let map = node.kind() == K::MAPPING;
                let flow = has_token(node, if map { K::LEFT_BRACE } else { K::LEFT_BRACKET });
                if flow {
                    let (start, end) = offset(node.text_range());
                    self.opaque
                        .push((start, end, "a flow collection (`{ }` or `[ ]`)"));
                }
                let id = self.tree.collections.len();
                self.tree.collections.push(Collection {
                    map,
                    flow,
                    children: Vec::new(),
                    owner,
                    tail: Vec::new(),
                });
                let block = block && !flow;
                let kind = if map {
                    K::MAPPING_ENTRY
                } else {
                    K::SEQUENCE_ENTRY
                };
                for entry in node.children().filter(|c| c.kind() == kind) {
                    let child = if map {
                        self.entry(&entry, id, block)?
                    } else {
                        self.item(&entry, id, block)?
                    };
                    self.tree.collections[id].children.push(child);
                }
                if self.tree.collections[id].children.is_empty() && !flow {
                    return Err(self.refusal(node, "fmt cannot read this collection"));
                }
                Ok(Value::Collection(id))
            }
            _ => Err(self.refusal(node, "fmt cannot read this value")),
        }
    }

    /// A scalar's canonical text; `None` for an empty null.
    fn scalar(&mut self, node: &SNode, key: bool) -> Result<Option<Scalar>, Refusal> {
        let Some((first, last)) = content_tokens(node) else {
            return Ok(None);
        };
        let (start, _) = offset(first.text_range());
        let (_, end) = offset(last.text_range());
        let raw = &self.lines.text[start..end];
        if raw.contains('\n') {
            // A block scalar's content starts on the line after its `|` or
            // `>`, which may end with a comment of the entry's.
            let from = if matches!(first.kind(), K::PIPE | K::GREATER) {
                let header = self.lines.pos(start).0;
                self.lines.starts.get(header).copied().unwrap_or(end)
            } else {
                start
            };
            self.opaque
                .push((from, end, "a scalar written over several lines"));
        }
        let pos = self.lines.pos(start);
        if key {
            let Some(k) = self.keys.get(&pos) else {
                return Err(
                    self.refusal(node, "fmt cannot match this key to hrform's reading of it")
                );
            };
            return Ok(Some(Scalar {
                text: scalar::string(k),
                string: Some(k.clone()),
            }));
        }
        // A block scalar is placed by hrform's parser at its text, not at
        // its `|` or `>`: the first value within the scalar.
        let found = self.values.get(&pos).or_else(|| {
            let end_pos = self.lines.pos(end);
            self.values
                .iter()
                .filter(|(at, _)| **at >= pos && **at < end_pos)
                .min_by_key(|(at, _)| **at)
                .map(|(_, v)| v)
        });
        match found {
            Some(Node::Str(s)) => Ok(Some(Scalar {
                text: scalar::literal_block(s).unwrap_or_else(|| scalar::string(s)),
                string: Some(s.clone()),
            })),
            Some(Node::Null) if raw.is_empty() => Ok(None),
            Some(Node::Seq(_) | Node::Map(_)) => Err(self.refusal(
                node,
                "fmt cannot match this value to hrform's reading of it",
            )),
            Some(_) if !raw.contains('\n') => Ok(Some(Scalar {
                text: raw.to_owned(),
                string: None,
            })),
            None if first.kind() == K::NULL && raw.is_empty() => Ok(None),
            _ => Err(self.refusal(
                node,
                "fmt cannot match this value to hrform's reading of it",
            )),
        }
    }

    fn push_child(
        &mut self,
        parent: usize,
        block: bool,
        line: usize,
        col: usize,
        key: Option<Scalar>,
    ) -> usize {
        self.tree.children.push(Child {
            key,
            value: Value::Null,
            line,
            col,
            own_line: None,
            parent,
            block,
            leading: Vec::new(),
            trailing: None,
            under: Vec::new(),
        });
        self.tree.children.len() - 1
    }

    fn entry(&mut self, entry: &SNode, parent: usize, block: bool) -> Result<usize, Refusal> {
        let Some(key_node) = entry.children().find(|c| c.kind() == K::KEY) else {
            return Err(self.refusal(entry, "fmt cannot read this mapping entry"));
        };
        let Some(key_scalar) = key_node.children().find(|c| c.kind() == K::SCALAR) else {
            return Err(self.refusal(&key_node, "fmt rewrites only plain or quoted keys"));
        };
        let Some(first) = first_token(&key_node) else {
            return Err(self.refusal(&key_node, "fmt cannot read this key"));
        };
        let (line, col) = self.lines.pos(offset(first.text_range()).0);
        let key = self.scalar(&key_scalar, true)?;
        let id = self.push_child(parent, block, line, col, key);
        let value_node = entry
            .children()
            .find(|c| c.kind() == K::VALUE)
            .and_then(|v| {
                v.children()
                    .find(|c| matches!(c.kind(), K::SCALAR | K::MAPPING | K::SEQUENCE))
                    .map(|n| (v, n))
            });
        let (value, own_line) = match value_node {
            None => (Value::Null, Some(line)),
            Some((_, node)) => {
                let value = self.value(&node, Some(id), block)?;
                let own = self.own_line(&value, &node, line);
                (value, own)
            }
        };
        let child = &mut self.tree.children[id];
        child.value = value;
        child.own_line = own_line;
        Ok(id)
    }

    fn item(&mut self, item: &SNode, parent: usize, block: bool) -> Result<usize, Refusal> {
        let Some(first) = first_token(item) else {
            return Err(self.refusal(item, "fmt cannot read this list item"));
        };
        let (line, col) = self.lines.pos(offset(first.text_range()).0);
        let id = self.push_child(parent, block, line, col, None);
        let node = item
            .children()
            .find(|c| matches!(c.kind(), K::SCALAR | K::MAPPING | K::SEQUENCE));
        let (value, own_line) = match node {
            None => (Value::Null, Some(line)),
            Some(node) => {
                let value = self.value(&node, Some(id), block)?;
                let own = match &value {
                    Value::Collection(c) if !self.tree.collections[*c].flow => None,
                    _ => self.own_line(&value, &node, line),
                };
                (value, own)
            }
        };
        let child = &mut self.tree.children[id];
        child.value = value;
        child.own_line = own_line;
        Ok(id)
    }

    /// The line a trailing comment of an entry with this value is on: the
    /// key's line for a block collection, else the value's last line.
    fn own_line(&self, value: &Value, node: &SNode, key_line: usize) -> Option<usize> {
        match value {
            Value::Collection(c) if !self.tree.collections[*c].flow => Some(key_line),
            // A block scalar's comment goes on its `|` or `>` line.
            Value::Scalar(_)
                if content_tokens(node)
                    .is_some_and(|(first, _)| matches!(first.kind(), K::PIPE | K::GREATER)) =>
            {
                Some(self.lines.pos(offset(node.text_range()).0).0)
            }
            _ => Some(content_tokens(node).map_or(key_line, |(_, last)| {
                self.lines.pos(offset(last.text_range()).0).0
            })),
        }
    }

    /// The collections `child` is in, innermost first.
    fn ancestors(&self, child: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut c = self.tree.children[child].parent;
        loop {
            out.push(c);
            match self.tree.collections[c].owner {
                Some(owner) => c = self.tree.children[owner].parent,
                None => return out,
            }
        }
    }
}

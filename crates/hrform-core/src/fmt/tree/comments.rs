//! Attaching comments and blank lines to the entry, item or collection
//! they belong to (the rules are in the parent module's doc).

use std::collections::HashMap;

use super::{Builder, K, Line, Refusal, SNode, SToken, Trailing, Value, offset};

impl Builder<'_> {
    /// The column of a block collection's children.
    fn child_col(&self, collection: usize) -> usize {
        let first = self.tree.collections[collection].children[0];
        self.tree.children[first].col
    }

    /// Whether byte `at` is inside an opaque range (kept sorted and
    /// outermost only by `attach_comments`), and what that range is.
    fn in_opaque(&self, at: usize) -> Option<&'static str> {
        let i = self.opaque.partition_point(|(s, _, _)| *s <= at);
        i.checked_sub(1)
            .map(|i| self.opaque[i])
            .filter(|(_, e, _)| at < *e)
            .map(|(_, _, what)| what)
    }

    pub(super) fn attach_comments(
        &mut self,
        root: &SNode,
        doc_start_line: Option<usize>,
    ) -> Result<(), Refusal> {
        // Ranges nest (a flow list in a flow mapping): keep the outermost.
        self.opaque
            .sort_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)));
        let mut outermost: Vec<(usize, usize, &'static str)> = Vec::new();
        for r in self.opaque.drain(..) {
            if outermost.last().is_none_or(|last| r.0 >= last.1) {
                outermost.push(r);
            }
        }
        self.opaque = outermost;
        // Comments by line.
        let mut by_line: HashMap<usize, (usize, SToken)> = HashMap::new();
        for token in root
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == K::COMMENT)
        {
            let (start, end) = offset(token.text_range());
            let (line, col) = self.lines.pos(start);
            if !self.range.contains(&line) {
                continue;
            }
            if let Some(what) = self.in_opaque(start) {
                return Err(Refusal::at(
                    line,
                    col,
                    end - start,
                    format!(
                        "fmt cannot keep a comment inside {what}; move it above or write the value on one line"
                    ),
                ));
            }
            self.tree.comments.push(token.text().trim_end().to_owned());
            by_line.insert(line, (col, token));
        }
        let block: Vec<usize> = (0..self.tree.children.len())
            .filter(|&c| self.tree.children[c].block)
            .collect();
        let mut first_at: HashMap<usize, usize> = HashMap::new();
        for &c in block.iter().rev() {
            first_at.insert(self.tree.children[c].line, c);
        }
        // The innermost (last in document order) child owning each line.
        let mut owners: HashMap<usize, usize> = HashMap::new();
        for &c in &block {
            if let Some(l) = self.tree.children[c].own_line {
                owners.insert(l, c);
            }
        }
        let mut pending_blank = false;
        for line in self.range.clone() {
            let text = self.lines.line(line);
            let start = self.lines.start(line);
            if self.in_opaque(start).is_some() && !by_line.contains_key(&line) {
                pending_blank = false;
                continue;
            }
            if text.trim().is_empty() {
                pending_blank = true;
                continue;
            }
            if let Some(&c) = first_at.get(&line)
                && pending_blank
            {
                self.tree.children[c].leading.push(Line::Blank);
                pending_blank = false;
            }
            if let Some((col, token)) = by_line.get(&line) {
                let comment = token.text().trim_end().to_owned();
                let before = &text[..text
                    .char_indices()
                    .nth(col - 1)
                    .map_or(text.len(), |(i, _)| i)];
                if !before.trim().is_empty() {
                    // A trailing comment: the innermost child whose line it is.
                    let owner = owners.get(&line).copied();
                    let Some(owner) = owner else {
                        return Err(Refusal::at(
                            line,
                            *col,
                            comment.chars().count(),
                            "fmt cannot tell which entry this comment belongs to; put it on a line of its own".to_owned(),
                        ));
                    };
                    self.tree.children[owner].trailing = Some(Trailing {
                        text: comment,
                        col: *col,
                    });
                    pending_blank = false;
                    continue;
                }
                let slot = if doc_start_line.is_some_and(|d| line < d) {
                    &mut self.tree.preamble
                } else {
                    self.slot(line, *col, &block)
                };
                if pending_blank {
                    slot.push(Line::Blank);
                }
                slot.push(Line::Comment(comment));
                pending_blank = false;
                continue;
            }
            pending_blank = false;
        }
        Ok(())
    }

    /// Where an own-line comment at `line`, `col` goes.
    fn slot(&mut self, line: usize, col: usize, block: &[usize]) -> &mut Vec<Line> {
        // `block` is in document order, so sorted by line.
        let after = block.partition_point(|&c| self.tree.children[c].line <= line);
        let before = block.partition_point(|&c| self.tree.children[c].line < line);
        let next = block.get(after).copied();
        let prev = before.checked_sub(1).map(|i| block[i]);
        let next_ancestors = next.map(|n| self.ancestors(n)).unwrap_or_default();
        if let Some(p) = prev {
            // Indented under an entry or item without a value.
            let pc = &self.tree.children[p];
            if matches!(pc.value, Value::Null) && col > pc.col {
                return &mut self.tree.children[p].under;
            }
            for a in self.ancestors(p) {
                if next_ancestors.contains(&a) {
                    break;
                }
                // Indented at least as far as its children, and further
                // than the key or dash that holds it (`key:` and a list
                // under it at the same column are told apart).
                let holder_col = self.tree.collections[a]
                    .owner
                    .map_or(0, |o| self.tree.children[o].col);
                if self.child_col(a) <= col && holder_col < col {
                    return &mut self.tree.collections[a].tail;
                }
            }
        }
        match next {
            Some(n) => &mut self.tree.children[n].leading,
            None => &mut self.tree.tail,
        }
    }
}

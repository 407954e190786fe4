//! A roster's columns: which header each field reads (refusing
//! secret-looking ones) and the `values:` maps that translate its cells.

use super::*;

impl Validator<'_> {
    /// Find each mapped header, refusing secret-looking ones.
    pub(super) fn columns(
        &mut self,
        r: &raw::Roster,
        table: &Table,
        shown: &str,
    ) -> Option<Columns> {
        let mut ok = true;
        let mut find = |v: &mut Validator<'_>, header: &Sp<String>| -> Option<usize> {
            if header_looks_secret(&header.value) {
                ok = false;
                v.push(
                    Diagnostic::error(
                        Code::RosterSecretHeader,
                        format!("hrform does not read the column `{}`: it looks like a secret or a personal identifier", header.value),
                    )
                    .at(header.loc, "not read")
                    .help("map only the columns rules and plans need"),
                );
                return None;
            }
            let found = table.headers.iter().position(|h| *h == header.value.trim());
            if found.is_none() {
                ok = false;
                v.push(
                    Diagnostic::error(
                        Code::RosterHeaderMissing,
                        format!("{shown}:1: no column `{}`", header.value),
                    )
                    .at(header.loc, "not in the header row")
                    .help_opt(
                        did_you_mean(&header.value, table.headers.iter().map(String::as_str))
                            .or_else(|| {
                                Some(format!(
                                    "the header row holds: {}",
                                    table.headers.join(", ")
                                ))
                            }),
                    ),
                );
            }
            found
        };
        let c = &r.columns.value;
        let email = find(self, &c.email);
        let name = c.name.as_ref().and_then(|h| find(self, h));
        let status = c.status.as_ref().and_then(|h| find(self, h));
        let start_date = c.start_date.as_ref().and_then(|h| find(self, h));
        let end_date = c.end_date.as_ref().and_then(|h| find(self, h));
        let provider = r.provider_column.as_ref().and_then(|h| find(self, h));
        let mut attributes = Vec::new();
        for (name, header) in r.attributes.iter().flat_map(|a| &a.entries) {
            if let Some(col) = find(self, header) {
                attributes.push((name.value.clone(), col));
            }
        }
        let _ = name;
        if !ok {
            return None;
        }
        Some(Columns {
            email: email?,
            status,
            start_date,
            end_date,
            provider,
            attributes,
        })
    }

    /// The `values:` maps, checked: fields that exist, status words valid.
    pub(super) fn value_maps(
        &mut self,
        r: &raw::Roster,
    ) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        let attributes: Vec<&str> = r
            .attributes
            .iter()
            .flat_map(|a| a.entries.iter().map(|(k, _)| k.value.as_str()))
            .collect();
        for (field, map) in r.values.iter().flat_map(|v| &v.entries) {
            let known = field.value == "status"
                || field.value == "provider"
                || attributes.contains(&field.value.as_str());
            if !known {
                self.push(
                    Diagnostic::error(
                        Code::UnknownKey,
                        format!("`values.{}` maps no field of this roster", field.value),
                    )
                    .at(field.loc, "not status, provider or a mapped attribute")
                    .help_opt(did_you_mean(
                        &field.value,
                        ["status", "provider"]
                            .into_iter()
                            .chain(attributes.iter().copied()),
                    )),
                );
                continue;
            }
            let mut m = BTreeMap::new();
            for (cell, value) in &map.entries {
                if field.value == "status" && !matches!(value.value.as_str(), "active" | "inactive")
                {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!(
                                "`{}` is not a status: expected active or inactive",
                                value.value
                            ),
                        )
                        .at(value.loc, "active or inactive"),
                    );
                }
                m.insert(cell.value.trim().to_owned(), value.value.clone());
            }
            out.insert(field.value.clone(), m);
        }
        out
    }
}

/// The columns found for a roster's fields.
pub(super) struct Columns {
    pub email: usize,
    pub status: Option<usize>,
    pub start_date: Option<usize>,
    pub end_date: Option<usize>,
    pub provider: Option<usize>,
    pub attributes: Vec<(String, usize)>,
}

/// A cell through `values.<field>`: the mapped value, the cell itself when
/// the field has no map, `Err(cell)` when the map lacks it.
pub(super) fn mapped<'a>(
    values: &'a BTreeMap<String, BTreeMap<String, String>>,
    field: &str,
    cell: &'a str,
) -> Result<&'a str, &'a str> {
    match values.get(field) {
        None => Ok(cell),
        Some(m) => m.get(cell).map(String::as_str).ok_or(cell),
    }
}

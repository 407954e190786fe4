//! Roster tables: the bytes of a CSV or .xlsx file in, a header and rows of
//! cell text out. Pure: the shell reads the file (inside the configuration
//! tree, bounded in size) and hands its bytes here; what the cells mean is
//! validation's (`manifest::validate::rosters`).
//!
//! Rows are numbered as a spreadsheet shows them: the header is row 1, the
//! first person row 2. CSV is read as RFC 4180 (quoted fields may hold the
//! delimiter, quotes and line breaks; CRLF or LF), UTF-8 with or without a
//! byte-order mark; every row must have as many cells as the header.

use std::io::Cursor;

/// A table read from a roster file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The header row's cells, trimmed.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One row below the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The row as a spreadsheet numbers it (the header is row 1).
    pub number: u32,
    /// Each cell's text, one per header.
    pub cells: Vec<String>,
}

/// Why a file could not be read as a table; `row` is a spreadsheet row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty: a roster needs a header row")]
    Empty,
    #[error("row {row} has {found} cells, the header {expected}")]
    Width {
        row: u32,
        found: usize,
        expected: usize,
    },
    #[error("row {row}, column {column}: the cell is not valid UTF-8")]
    NotUtf8 { row: u32, column: usize },
    #[error("row {row}: {message}")]
    Csv { row: u32, message: String },
    #[error("row {row}, column {column}: the cell holds the spreadsheet error {error}")]
    CellError {
        row: u32,
        column: usize,
        error: String,
    },
    #[error("no sheet named `{sheet}` (sheets: {available})")]
    NoSheet { sheet: String, available: String },
    #[error("not a readable .xlsx workbook: {0}")]
    Xlsx(String),
    #[error("the header names `{0}` twice")]
    DuplicateHeader(String),
}

/// The delimiters hrform detects, in order of preference on a tie.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter of a CSV text: whichever of `,` `;` and tab occurs most
/// often, outside quotes, in its header line (`,` when none does).
pub fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|d| *d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Read CSV bytes; `delimiter` `None` detects it.
pub fn parse_csv(bytes: &[u8], delimiter: Option<u8>) -> Result<Table, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter =
        delimiter.unwrap_or_else(|| detect_delimiter(&String::from_utf8_lossy(first_line(bytes))));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut table = Table::default();
    let mut record = csv::ByteRecord::new();
    let mut number: u32 = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                return Err(TableError::Csv {
                    row: number.saturating_add(1),
                    message: err.to_string(),
                });
            }
        }
        number = number.saturating_add(1);
        let mut cells = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            match std::str::from_utf8(field) {
                Ok(s) => cells.push(s.to_owned()),
                Err(_) => {
                    return Err(TableError::NotUtf8 {
                        row: number,
                        column: i + 1,
                    });
                }
            }
        }
        push_row(&mut table, number, cells)?;
    }
    if number == 0 {
        return Err(TableError::Empty);
    }
    Ok(table)
}

fn first_line(bytes: &[u8]) -> &[u8] {
    // Enough to count delimiters: the header, or its start.
    &bytes[..bytes.len().min(64 * 1024)]
}

/// Add a header (row 1) or a data row, checking its width.
fn push_row(table: &mut Table, number: u32, cells: Vec<String>) -> Result<(), TableError> {
    if number == 1 {
        let headers: Vec<String> = cells.iter().map(|c| c.trim().to_owned()).collect();
        for (i, h) in headers.iter().enumerate() {
            if !h.is_empty() && headers[..i].contains(h) {
                return Err(TableError::DuplicateHeader(h.clone()));
            }
        }
        table.headers = headers;
        return Ok(());
    }
    // A line with no content at all (a trailing blank line) is no person.
    if cells.len() == 1 && cells[0].is_empty() && table.headers.len() > 1 {
        return Ok(());
    }
    if cells.len() != table.headers.len() {
        return Err(TableError::Width {
            row: number,
            found: cells.len(),
            expected: table.headers.len(),
        });
    }
    table.rows.push(Row { number, cells });
    Ok(())
}

/// Read a sheet (`sheet`, or the first) of .xlsx bytes. Dates become ISO
/// 8601 text (`YYYY-MM-DD`), whole numbers lose their `.0`.
pub fn parse_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table, TableError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_owned(),
        Some(s) => {
            return Err(TableError::NoSheet {
                sheet: s.to_owned(),
                available: names.join(", "),
            });
        }
        None => names.first().cloned().ok_or(TableError::Empty)?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| TableError::Xlsx(e.to_string()))?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(TableError::Empty);
    };
    let mut table = Table::default();
    let mut header_seen = false;
    for (i, cells) in range.rows().enumerate() {
        let number = u32::try_from(i)
            .unwrap_or(u32::MAX)
            .saturating_add(first_row)
            .saturating_add(1);
        let mut out = Vec::with_capacity(cells.len());
        for (j, cell) in cells.iter().enumerate() {
            let column = j + 1 + first_col as usize;
            out.push(match cell {
                Data::Empty => String::new(),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Int(n) => n.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => serial_date(d.as_f64()).ok_or(TableError::CellError {
                    row: number,
                    column,
                    error: "(a date out of range)".to_owned(),
                })?,
                Data::Error(e) => {
                    return Err(TableError::CellError {
                        row: number,
                        column,
                        error: e.to_string(),
                    });
                }
            });
        }
        if !header_seen {
            header_seen = true;
            push_row(&mut table, 1, out)?;
        } else if out.iter().all(String::is_empty) {
            // A spreadsheet's empty row inside the used range is no person.
        } else {
            push_row(&mut table, number.max(2), out)?;
        }
    }
    Ok(table)
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn serial_date(serial: f64) -> Option<String> {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = jiff::civil::date(1899, 12, 30);
    base.checked_add(jiff::Span::new().days(days))
        .ok()
        .map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_from_the_header_line() {
        for (text, want) in [
            ("a,b,c\n1;2;3\n", b','),
            ("a;b;c\n1,2,3\n", b';'),
            ("a\tb\tc\n", b'\t'),
            ("\"x;y\",b,c\n", b','),
            ("\"x,y,z\";b\n", b';'),
            ("single\n", b','),
            ("", b','),
            ("a;b,c\r\n", b','),
            ("a;b;c,d\r\n", b';'),
        ] {
            assert_eq!(detect_delimiter(text), want, "{text:?}");
        }
    }

    /// Each case: the file's bytes, the delimiter given, and the rows
    /// expected (spreadsheet number and cells), or the error.
    #[test]
    fn csv_reads_as_spreadsheets_write_it() {
        type Want = Result<(Vec<&'static str>, Vec<(u32, Vec<&'static str>)>), TableError>;
        let cases: Vec<(&[u8], Option<u8>, Want)> = vec![
            (
                b"\xEF\xBB\xBFEmail,Name\r\na@x.io,\"Doe, Jane\"\r\n",
                None,
                Ok((
                    vec!["Email", "Name"],
                    vec![(2, vec!["a@x.io", "Doe, Jane"])],
                )),
            ),
            (
                b"Email;Note\na@x.io;\"two\nlines\"\nb@x.io;\"say \"\"hi\"\"\"\n",
                None,
                Ok((
                    vec!["Email", "Note"],
                    vec![
                        (2, vec!["a@x.io", "two\nlines"]),
                        (3, vec!["b@x.io", "say \"hi\""]),
                    ],
                )),
            ),
            (
                b"Email\tDept\na@x.io\tSales, EMEA\n",
                None,
                Ok((
                    vec!["Email", "Dept"],
                    vec![(2, vec!["a@x.io", "Sales, EMEA"])],
                )),
            ),
            (
                b"Email|Dept\na|b\n",
                Some(b'|'),
                Ok((vec!["Email", "Dept"], vec![(2, vec!["a", "b"])])),
            ),
            (
                b" Email , Dept\na,b\n\n",
                None,
                Ok((vec!["Email", "Dept"], vec![(2, vec!["a", "b"])])),
            ),
            (
                b"Email,Dept\na,b,c\n",
                None,
                Err(TableError::Width {
                    row: 2,
                    found: 3,
                    expected: 2,
                }),
            ),
            (
                b"Email,Dept\na,b\nc,\xff\n",
                None,
                Err(TableError::NotUtf8 { row: 3, column: 2 }),
            ),
            (
                b"Email,Email\n",
                None,
                Err(TableError::DuplicateHeader("Email".into())),
            ),
            (b"", None, Err(TableError::Empty)),
        ];
        for (bytes, delimiter, want) in cases {
            let got = parse_csv(bytes, delimiter).map(|t| {
                (
                    t.headers,
                    t.rows
                        .into_iter()
                        .map(|r| (r.number, r.cells))
                        .collect::<Vec<_>>(),
                )
            });
            let want = want.map(|(h, rows)| {
                (
                    h.into_iter().map(String::from).collect::<Vec<_>>(),
                    rows.into_iter()
                        .map(|(n, c)| (n, c.into_iter().map(String::from).collect::<Vec<_>>()))
                        .collect::<Vec<_>>(),
                )
            });
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(serial_date(45658.0).as_deref(), Some("2025-01-01"));
        assert_eq!(serial_date(45658.75).as_deref(), Some("2025-01-01"));
        assert_eq!(serial_date(f64::NAN), None);
        assert_eq!(serial_date(-1.0), None);
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        assert!(matches!(
            parse_xlsx(b"not a zip", None),
            Err(TableError::Xlsx(_))
        ));
    }
}

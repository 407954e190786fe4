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
    /// The cells (by index) that were spreadsheet date cells: their text is
    /// ISO 8601 (`YYYY-MM-DD`) whatever format the roster declares for text.
    pub date_cells: Vec<usize>,
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
        push_row(&mut table, number, cells, Vec::new())?;
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
fn push_row(
    table: &mut Table,
    number: u32,
    cells: Vec<String>,
    date_cells: Vec<usize>,
) -> Result<(), TableError> {
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
    table.rows.push(Row {
        number,
        cells,
        date_cells,
    });
    Ok(())
}

/// Read a sheet (`sheet`, or the first) of .xlsx bytes. Date cells become
/// ISO 8601 text (`YYYY-MM-DD`, the time of day dropped) and are listed in
/// [`Row::date_cells`]; duration cells and numbers become their number, whole
/// numbers without a `.0`.
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
        let mut date_cells = Vec::new();
        for (j, cell) in cells.iter().enumerate() {
            let column = j + 1 + first_col as usize;
            let out_of_range = || TableError::CellError {
                row: number,
                column,
                error: "(a date out of range)".to_owned(),
            };
            out.push(match cell {
                Data::Empty => String::new(),
                Data::String(s) | Data::DurationIso(s) => s.clone(),
                Data::DateTimeIso(s) => {
                    date_cells.push(j);
                    iso_date(s).ok_or_else(out_of_range)?
                }
                Data::Int(n) => n.to_string(),
                Data::Float(f) => number_text(*f),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) if d.is_duration() => number_text(d.as_f64()),
                Data::DateTime(d) => {
                    date_cells.push(j);
                    serial_date(d).ok_or_else(out_of_range)?
                }
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
            push_row(&mut table, 1, out, date_cells)?;
        } else if out.iter().all(String::is_empty) {
            // A spreadsheet's empty row inside the used range is no person.
        } else {
            push_row(&mut table, number.max(2), out, date_cells)?;
        }
    }
    Ok(table)
}

/// A number cell's text: whole numbers without a `.0`, others as Rust
/// prints an `f64` (the shortest text that reads back the same).
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// An Excel date cell as `YYYY-MM-DD`. The serial counts days from the
/// workbook's epoch: 1900 (with Excel's phantom 1900-02-29) or, for
/// workbooks saved with the 1904 date system, 1904-01-01; calamine knows
/// which. Outside Excel's range (0 to 9999-12-31), or on the phantom day,
/// there is no date.
fn serial_date(d: &calamine::ExcelDateTime) -> Option<String> {
    let serial = d.as_f64();
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let (y, m, day, ..) = d.to_ymd_hms_milli();
    jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
    .map(|d| d.to_string())
}

/// An ISO 8601 date cell (`<c t="d">`, written by some tools instead of a
/// serial): its date part.
fn iso_date(s: &str) -> Option<String> {
    let s = s.trim();
    let date = s
        .parse::<jiff::civil::Date>()
        .ok()
        .or_else(|| s.parse::<jiff::civil::DateTime>().ok().map(|dt| dt.date()))?;
    Some(date.to_string())
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

    /// Each case: the serial, whether the workbook uses the 1904 date
    /// system, and the date read (or none).
    #[test]
    fn excel_serial_dates() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        for (serial, is_1904, want) in [
            (45658.0, false, Some("2025-01-01")),
            (45658.75, false, Some("2025-01-01")),
            // A time a hair before midnight rounds to the next day.
            (45_658.999_999_999, false, Some("2025-01-02")),
            // The same day in a 1904 workbook is 1,462 serials lower.
            (44196.0, true, Some("2025-01-01")),
            (0.0, true, Some("1904-01-01")),
            (61.0, false, Some("1900-03-01")),
            (59.0, false, Some("1900-02-28")),
            // Excel's phantom 1900-02-29 is no date.
            (60.0, false, None),
            (2_958_465.0, false, Some("9999-12-31")),
            (2_958_466.0, false, None),
            (f64::NAN, false, None),
            (-1.0, false, None),
        ] {
            let d = ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, is_1904);
            assert_eq!(serial_date(&d).as_deref(), want, "{serial} 1904={is_1904}");
        }
    }

    #[test]
    fn number_cells_read_as_written() {
        for (f, want) in [
            (40.0, "40"),
            (-3.0, "-3"),
            (37.5, "37.5"),
            (0.1, "0.1"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
        ] {
            assert_eq!(number_text(f), want, "{f}");
        }
    }

    #[test]
    fn iso_date_cells_keep_their_date() {
        assert_eq!(iso_date("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(
            iso_date("2024-02-29T13:45:00").as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(iso_date("yesterday"), None);
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        assert!(matches!(
            parse_xlsx(b"not a zip", None),
            Err(TableError::Xlsx(_))
        ));
    }
}

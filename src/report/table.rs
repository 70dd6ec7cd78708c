//! The plain-text tables of `--print`: a header and rows of cells, laid out to a width and
//! framed with box-drawing lines. Cells wrap at spaces; a word longer than its column is broken
//! to fill the line. Laying out is linear in the text: a table of a 100,000-request run is
//! hundreds of thousands of rows.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

/// A header and rows, each a list of cells of already escaped text.
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: Vec<String>) -> Self {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty, extra ones are left out.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table in at most `width` columns (at least one character per column).
    pub(crate) fn write(&self, out: &mut impl Write, width: usize) -> io::Result<()> {
        let widths = self.column_widths(width);
        let mut text = String::new();
        // Each column's lines of the row being drawn, kept from row to row.
        let mut wrapped = vec![Vec::new(); widths.len()];
        border(&mut text, &widths, ('┌', '─', '┬', '┐'));
        row_lines(&mut text, &self.header, &widths, &mut wrapped);
        border(&mut text, &widths, ('╞', '═', '╪', '╡'));
        for row in &self.rows {
            row_lines(&mut text, row, &widths, &mut wrapped);
            if text.len() >= WRITE_EVERY {
                out.write_all(text.as_bytes())?;
                text.clear();
            }
        }
        border(&mut text, &widths, ('└', '─', '┴', '┘'));
        out.write_all(text.as_bytes())
    }

    /// Each column's natural width (its widest line) when the table fits in `width`.
    /// Otherwise the room is shared: a column narrower than an even share keeps its width; a
    /// column whose cells, wrapped to an even share, leave [`SETTLE_SLACK`] columns or more of
    /// it unused takes just what they use; the others share what is left evenly, the leftmost
    /// taking one more where it does not divide.
    fn column_widths(&self, width: usize) -> Vec<usize> {
        let columns = self.header.len();
        let mut natural: Vec<usize> = self.header.iter().map(|h| widest_line(h)).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().take(columns).enumerate() {
                natural[column] = natural[column].max(widest_line(cell));
            }
        }
        // A column's frame: a space either side and the line to its left; one more at the end.
        let frame = 3 * columns + 1;
        let mut room = width.saturating_sub(frame);
        if natural.iter().sum::<usize>() <= room {
            return natural;
        }
        let mut widths: Vec<Option<usize>> = vec![None; columns];
        let mut left = columns;
        // Settles, pass after pass, each column for which `wants` gives a width within an even
        // share of the room left.
        let mut settle = |widths: &mut [Option<usize>],
                          wants: &dyn Fn(usize, usize) -> Option<usize>| {
            let mut settled = true;
            while settled && left > 0 {
                settled = false;
                for (column, slot) in widths.iter_mut().enumerate() {
                    let share = room / left.max(1);
                    if slot.is_some() || left == 0 || share == 0 {
                        continue;
                    }
                    if let Some(width) = wants(column, share) {
                        *slot = Some(width);
                        room -= width;
                        left -= 1;
                        settled = true;
                    }
                }
            }
        };
        settle(&mut widths, &|column, share| {
            (natural[column] <= share).then_some(natural[column])
        });
        settle(&mut widths, &|column, share| {
            let used = self.widest_wrapped(column, share);
            (share.saturating_sub(used) >= SETTLE_SLACK).then_some(used)
        });
        let shared = room.max(left);
        let (share, mut extra) = (shared / left.max(1), shared % left.max(1));
        widths
            .into_iter()
            .map(|settled| {
                settled.unwrap_or_else(|| {
                    let one_more = usize::from(extra > 0);
                    extra -= one_more;
                    (share + one_more).max(1)
                })
            })
            .collect()
    }

    /// The widest line of `column`'s cells wrapped to `width`.
    fn widest_wrapped(&self, column: usize, width: usize) -> usize {
        let mut lines = Vec::new();
        std::iter::once(&self.header[column])
            .chain(self.rows.iter().filter_map(|row| row.get(column)))
            .map(|cell| {
                lines.clear();
                wrap_cell_into(cell, width, &mut lines);
                lines
                    .iter()
                    .map(|&(_, line_width)| line_width)
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }
}

/// A large table is written a part at a time, about this many bytes.
const WRITE_EVERY: usize = 1 << 16;

/// How much of an even share a column must leave unused to settle at its wrapped width.
const SETTLE_SLACK: usize = 3;

/// A line with at most this many columns free takes no more words, and a word too wide for
/// any line starts on a new one rather than leave a sliver of itself here.
const LINE_SLACK: usize = 2;

/// Columns `text` takes on a terminal: its length, for printable ASCII (nearly every cell).
fn text_width(text: &str) -> usize {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.len()
    } else {
        text.width()
    }
}

fn widest_line(text: &str) -> usize {
    text.split('\n').map(text_width).max().unwrap_or(0)
}

fn border(
    text: &mut String,
    widths: &[usize],
    (left, line, between, right): (char, char, char, char),
) {
    text.push(left);
    for (column, &width) in widths.iter().enumerate() {
        if column > 0 {
            text.push(between);
        }
        text.extend(std::iter::repeat_n(line, width + 2));
    }
    text.push(right);
    text.push('\n');
}

/// One row: its cells wrapped to their columns, side by side, as many lines as the tallest.
fn row_lines<'a>(
    text: &mut String,
    cells: &'a [String],
    widths: &[usize],
    wrapped: &mut [Vec<(&'a str, usize)>],
) {
    for (column, (&width, lines)) in widths.iter().zip(wrapped.iter_mut()).enumerate() {
        lines.clear();
        wrap_cell_into(cells.get(column).map_or("", String::as_str), width, lines);
    }
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
    for line in 0..height {
        text.push('│');
        for (column, &width) in widths.iter().enumerate() {
            if column > 0 {
                text.push('┆');
            }
            let (part, part_width) = wrapped[column].get(line).copied().unwrap_or(("", 0));
            text.push(' ');
            text.push_str(part);
            push_spaces(text, width - part_width.min(width) + 1);
        }
        text.push('│');
        text.push('\n');
    }
}

fn push_spaces(text: &mut String, mut count: usize) {
    const SPACES: &str = "                                                                ";
    while count > 0 {
        let now = count.min(SPACES.len());
        text.push_str(&SPACES[..now]);
        count -= now;
    }
}

/// `cell` in lines of at most `width` columns, each with its width. A line that fits is kept
/// as written; a longer one is broken at spaces, and a word wider than the column fills the
/// line it starts on (when more than [`LINE_SLACK`] columns are free there) and goes on below.
fn wrap_cell_into<'a>(cell: &'a str, width: usize, lines: &mut Vec<(&'a str, usize)>) {
    for paragraph in cell.split('\n') {
        let paragraph_width = text_width(paragraph);
        if paragraph_width <= width {
            lines.push((paragraph, paragraph_width));
            continue;
        }
        let first = lines.len();
        // The line being made, as a range of `paragraph`, and its width; empty when start == end.
        let (mut start, mut end, mut line_width) = (0, 0, 0);
        let place = |lines: &mut Vec<(&'a str, usize)>, from: usize, to: usize, used: usize| {
            close_if_full(lines, (paragraph, width), (from, to, used))
        };
        for (at, word) in words(paragraph) {
            let word_width = text_width(word);
            let open = end > start;
            // The spaces between the line so far and this word, as written.
            let gap = if open { at - end } else { 0 };
            if line_width + gap + word_width <= width {
                let from = if open { start } else { at };
                (start, end, line_width) =
                    place(lines, from, at + word.len(), line_width + gap + word_width);
                continue;
            }
            // The word goes below: whole, or, too wide for any line, when this one has no
            // room worth filling.
            let free = width.saturating_sub(line_width + gap);
            if open && (word_width <= width || free <= LINE_SLACK) {
                lines.push((&paragraph[start..end], line_width));
                (start, end, line_width) = (at, at, 0);
            }
            if word_width <= width {
                (start, end, line_width) = place(lines, at, at + word.len(), word_width);
                continue;
            }
            // Too wide for any line: its first part fills this one, the rest goes on below.
            let mut rest = (at, word);
            if end > start {
                let (head, head_width) = fitting(word, free);
                lines.push((
                    &paragraph[start..at + head.len()],
                    line_width + gap + head_width,
                ));
                rest = (at + head.len(), &word[head.len()..]);
            }
            loop {
                let (from, part) = rest;
                let (mut head, mut head_width) = fitting(part, width);
                if head.is_empty() {
                    // A character wider than the column still goes somewhere.
                    let one_char = part.chars().next().map_or(0, char::len_utf8);
                    head = &part[..one_char];
                    head_width = text_width(head);
                }
                if head.len() == part.len() {
                    (start, end, line_width) = place(lines, from, from + part.len(), head_width);
                    break;
                }
                lines.push((head, head_width));
                rest = (from + head.len(), &part[head.len()..]);
            }
        }
        if end > start || lines.len() == first {
            lines.push((&paragraph[start..end], line_width));
        }
    }
}

/// [`wrap_cell_into`] a list of its own.
#[cfg(test)]
fn wrap_cell(cell: &str, width: usize) -> Vec<(&str, usize)> {
    let mut lines = Vec::new();
    wrap_cell_into(cell, width, &mut lines);
    lines
}

/// The line `from..to` of `paragraph`, `used` columns wide, given up on when it has no more
/// than [`LINE_SLACK`] columns free: then it is added to `lines` and an empty one begins.
fn close_if_full<'a>(
    lines: &mut Vec<(&'a str, usize)>,
    (paragraph, width): (&'a str, usize),
    (from, to, used): (usize, usize, usize),
) -> (usize, usize, usize) {
    if used > width.saturating_sub(LINE_SLACK) {
        lines.push((&paragraph[from..to], used));
        (to, to, 0)
    } else {
        (from, to, used)
    }
}

/// The words of `text` with where each starts: runs of spaces separate them.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(' ')
        .scan(0, |at, word| {
            let start = *at;
            *at += word.len() + 1;
            Some((start, word))
        })
        .filter(|(_, word)| !word.is_empty())
}

/// The longest start of `word` at most `width` columns wide, and its width.
fn fitting(word: &str, width: usize) -> (&str, usize) {
    let mut used = 0;
    for (at, c) in word.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            return (&word[..at], used);
        }
        used += w;
    }
    (word, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(table: &Table, width: usize) -> String {
        let mut out = Vec::new();
        table.write(&mut out, width).unwrap_or_default();
        String::from_utf8(out).unwrap_or_default()
    }

    fn table(header: &[&str], rows: &[&[&str]]) -> Table {
        let mut table = Table::new(header.iter().map(|h| h.to_string()).collect());
        for row in rows {
            table.row(row.iter().map(|c| c.to_string()).collect());
        }
        table
    }

    #[test]
    fn a_table_that_fits_keeps_its_natural_widths() {
        let t = table(&["Step", "Result"], &[&["1", "Allowed"], &["2", ""]]);
        assert_eq!(
            drawn(&t, 80),
            "┌──────┬─────────┐\n\
             │ Step ┆ Result  │\n\
             ╞══════╪═════════╡\n\
             │ 1    ┆ Allowed │\n\
             │ 2    ┆         │\n\
             └──────┴─────────┘\n"
        );
    }

    #[test]
    fn narrow_columns_keep_their_width_and_wide_ones_share_the_rest() {
        let t = table(
            &["N", "Words", "More"],
            &[&["1", "one two three four five six", "seven eight nine ten"]],
        );
        let text = drawn(&t, 30);
        assert!(text.lines().all(|line| line.width() <= 30), "{text}");
        // 30 columns less the frame (10) is 20: "N" takes 1, the other two 10 and 9.
        assert_eq!(t.column_widths(30), vec![1, 10, 9]);
        assert!(text.contains("│ 1 ┆ one two    ┆ seven     │"), "{text}");
        assert!(text.contains("│   ┆ three four ┆ eight"), "{text}");
    }

    #[test]
    fn a_column_whose_wrapped_cells_leave_room_gives_it_to_the_others() {
        let long = "one two three four five six seven eight nine";
        let t = table(
            &["A", "B", "C"],
            &[&[long, "aaaaaaaaaa bbbbbbbbbbbbbbbb", long]],
        );
        // 60 columns of room, 20 each: B's cells wrapped to 20 use 16, so it takes 16 and A
        // and C share the other 44.
        assert_eq!(t.column_widths(70), vec![22, 16, 22]);
    }

    #[test]
    fn a_word_wider_than_its_column_fills_the_line_and_goes_on_below() {
        assert_eq!(
            wrap_cell("Origin: https://app.example", 18),
            vec![("Origin: https://ap", 18), ("p.example", 9)]
        );
        assert_eq!(
            wrap_cell("abcdefghij", 4),
            vec![("abcd", 4), ("efgh", 4), ("ij", 2)]
        );
    }

    #[test]
    fn spaces_and_line_breaks_in_a_cell_are_kept_apart() {
        assert_eq!(wrap_cell("a  b\nc", 10), vec![("a  b", 4), ("c", 1)]);
        assert_eq!(wrap_cell("", 5), vec![("", 0)]);
    }

    #[test]
    fn wide_characters_count_as_two_columns() {
        assert_eq!(
            wrap_cell("日本語テキスト", 6),
            vec![("日本語", 6), ("テキス", 6), ("ト", 2)]
        );
        let t = table(&["A"], &[&["日本"]]);
        assert_eq!(t.column_widths(80), vec![4]);
    }

    #[test]
    fn a_width_too_small_for_the_frame_still_gives_each_column_a_character() {
        let t = table(&["Header", "Other"], &[&["cell", "x"]]);
        assert_eq!(t.column_widths(3), vec![1, 1]);
        let text = drawn(&t, 3);
        assert!(text.contains("│ H ┆ O │"), "{text}");
    }
}

//! Printing the dance as it happens, for a person reading along.
//!
//! Much of what is printed came from a server — an error description, a
//! URL, a client id — and a hostile server can put terminal escape
//! sequences in it (`\x1b[2J` clears the screen; others rewrite the title
//! or fake earlier lines). So every line goes through [`clean`] first.

/// `text` with control characters removed (newlines and tabs kept).
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// A numbered stage of the flow.
pub fn stage(n: u32, title: &str) {
    println!("\n[{n}] {}", clean(title));
}

/// One line of what happened.
pub fn say(text: &str) {
    println!("    {}", clean(text));
}

/// A quieter line (each HTTP request of discovery).
pub fn detail(text: &str) {
    println!("      · {}", clean(text));
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_sequences_do_not_reach_the_terminal() {
        let hostile = "access_denied\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nnext";
        let shown = super::clean(hostile);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\r'));
        assert!(shown.contains("access_denied") && shown.ends_with("\nnext"));
    }
}

//! Printing the dance as it happens, for a person reading along.

/// A numbered stage of the flow.
pub fn stage(n: u32, title: &str) {
    println!("\n[{n}] {title}");
}

/// One line of what happened.
pub fn say(text: &str) {
    println!("    {text}");
}

/// A quieter line (each HTTP request of discovery).
pub fn detail(text: &str) {
    println!("      · {text}");
}

// The shipped rules are embedded with include_dir, which cargo does not
// track: rebuild when any rule file changes.
fn main() {
    println!("cargo:rerun-if-changed=../../rules");
    println!("cargo:rerun-if-changed=../../docs/resources.md");
}

// The shipped frameworks are embedded with include_dir, which cargo does not
// track: rebuild when any framework file changes.
fn main() {
    println!("cargo:rerun-if-changed=../../frameworks");
}

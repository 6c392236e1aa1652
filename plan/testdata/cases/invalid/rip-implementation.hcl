# error at line 5: a RIP implementation netlab does not run
lab "x" {}
jail "a" {
  daemon "rip" {
    implementation = "quagga"
  }
}

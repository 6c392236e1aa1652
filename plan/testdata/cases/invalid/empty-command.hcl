# error at line 5: an empty command
lab "x" {}
jail "a" {
  daemon "web" {
    command = []
  }
}

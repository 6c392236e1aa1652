# error at line 5: a command whose program is empty
lab "x" {}
jail "a" {
  daemon "web" {
    command = ["", "-f"]
  }
}

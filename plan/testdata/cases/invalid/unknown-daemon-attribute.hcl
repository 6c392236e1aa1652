# error at line 6: an attribute a daemon does not have
lab "x" {}
jail "a" {
  daemon "web" {
    command = ["httpd"]
    args    = ["-f"]
  }
}

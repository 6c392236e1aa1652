# error at line 4: a daemon name with a dot
lab "x" {}
jail "a" {
  daemon "web.server" {
    command = ["httpd"]
  }
}

# error at line 5: a command given as a string, not a list
lab "x" {}
jail "a" {
  daemon "web" {
    command = "httpd -f"
  }
}

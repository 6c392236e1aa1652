# A jail named lo0 is fine, but no interface may be named lo0.
lab "loop" {}

jail "lo0" {}
jail "host" {}

link "lo0-host" {
  between = ["lo0", "host"]
  subnet  = "10.3.0.0/30"
}

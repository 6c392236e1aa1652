# error at line 4: a static route whose gateway is on none of the jail's links
lab "x" {}
jail "a" {
  routes = { "192.168.0.0/16" = "10.9.9.9" }
}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}

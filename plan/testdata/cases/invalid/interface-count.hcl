# error at line 8: one interface name for a link's two ends
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between    = ["a", "b"]
  subnet     = "10.0.0.0/24"
  interfaces = ["em0"]
}

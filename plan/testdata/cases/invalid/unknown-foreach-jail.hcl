# error at line 7: a link to a for_each key that the group does not make
lab "x" {}
jail "router" {
  for_each = toset(["c1", "c2"])
}
link "c1-c3" {
  between = ["c1", "c3"]
  subnet  = "10.0.0.0/24"
}

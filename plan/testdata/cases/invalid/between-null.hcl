# error at line 6: a link whose between is null
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = null
  subnet  = "10.0.0.0/24"
}

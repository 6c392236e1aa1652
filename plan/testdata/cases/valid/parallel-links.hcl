# Two links between the same jails, and one to a third: the first link
# to a peer gets the peer's name, the second a short form.
lab "parallel" {}

jail "a" {}
jail "b" {}
jail "c" {}

link "a-b" {
  between = ["a", "b"]
  subnet  = "10.1.0.0/24"
}

link "a-b-backup" {
  between = ["a", "b"]
  subnet  = "10.1.1.0/24"
}

link "a-c" {
  between    = ["a", "c"]
  subnet     = "10.1.2.0/24"
  interfaces = ["to-c", "uplink"]
}

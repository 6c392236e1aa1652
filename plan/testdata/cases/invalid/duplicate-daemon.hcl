# error at line 5: two daemons with the same name in a jail
lab "x" {}
jail "a" {
  daemon "rip" {}
  daemon "rip" {}
}

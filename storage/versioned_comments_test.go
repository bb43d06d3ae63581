package storage

import "testing"

func TestUnwrapVersionComments(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE TRIGGER t AFTER INSERT ON x FOR EACH ROW SET @a = 1":                                                              "CREATE TRIGGER t AFTER INSERT ON x FOR EACH ROW SET @a = 1",
		"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER t AFTER INSERT ON x FOR EACH ROW SET @a = '/*!x */' */": "CREATE DEFINER=`root`@`%` TRIGGER t AFTER INSERT ON x FOR EACH ROW SET @a = '/*!x */'",
		"/*!50003 CREATE*/ /* plain */ /*!50003 TRIGGER t BEFORE UPDATE ON `a*/b` FOR EACH ROW SET @a = \"it''s\" */":             "CREATE /* plain */ TRIGGER t BEFORE UPDATE ON `a*/b` FOR EACH ROW SET @a = \"it''s\"",
		"/*M!100100 x */ CREATE TRIGGER": "/*M!100100 x */ CREATE TRIGGER",
	} {
		if got := unwrapVersionComments(in); got != want {
			t.Errorf("unwrapVersionComments(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

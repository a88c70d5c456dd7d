// The one Boost.Test main of every test executable.
#define BOOST_TEST_MODULE troupe
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

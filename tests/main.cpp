// The one Boost.Test main of every test executable.
#define BOOST_TEST_MODULE troupe
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

# agenthost_add_plugin(<name> SOURCES <files...>)
#
# Builds <name>.so the way the host expects to load it: no "lib" prefix, hidden visibility
# (only the ABI entry function is exported), every symbol resolved at link time, and no
# STB_GNU_UNIQUE symbols (they make dlclose a no-op, so a replaced plugin would never unload).
include_guard(GLOBAL)
find_package(Threads REQUIRED)

function(agenthost_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE agenthost::sdk Threads::Threads)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${name} PRIVATE -fno-gnu-unique)
  endif()
  if(NOT APPLE)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  # agenthost refuses a library, or a plugin folder, that group or others can write (like sshd's
  # StrictModes); under a umask of 002 the build would otherwise make both.
  if(UNIX)
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND chmod go-w $<TARGET_FILE:${name}> $<TARGET_FILE_DIR:${name}>)
  endif()
endfunction()

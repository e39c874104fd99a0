/* Prints the byte offset of every mjModel / mjData field the C# interop reads,
   as "<struct>.<field> <offset>" lines, plus the header version and struct sizes.
   Compiled and run by MuJoCoLayoutTests against the installed /usr/include/mujoco. */
#include <stddef.h>
#include <stdio.h>
#include <mujoco/mujoco.h>

#define M(f) printf("mjModel.%s %zu\n", #f, offsetof(mjModel, f))
#define D(f) printf("mjData.%s %zu\n", #f, offsetof(mjData, f))

int main(void) {
  printf("mjVERSION_HEADER %d\n", mjVERSION_HEADER);
  printf("sizeof.mjtNum %zu\n", sizeof(mjtNum));
  printf("sizeof.mjWarningStat %zu\n", sizeof(mjWarningStat));
  printf("mjNWARNING %d\n", (int)mjNWARNING);
  printf("mjWARN_BADQACC %d\n", (int)mjWARN_BADQACC);
  printf("mjOBJ_BODY %d\n", (int)mjOBJ_BODY);
  printf("mjOBJ_JOINT %d\n", (int)mjOBJ_JOINT);
  printf("mjOBJ_DOF %d\n", (int)mjOBJ_DOF);
  printf("mjOBJ_GEOM %d\n", (int)mjOBJ_GEOM);
  printf("mjOBJ_SITE %d\n", (int)mjOBJ_SITE);
  printf("mjOBJ_TENDON %d\n", (int)mjOBJ_TENDON);
  printf("mjOBJ_ACTUATOR %d\n", (int)mjOBJ_ACTUATOR);
  printf("mjOBJ_SENSOR %d\n", (int)mjOBJ_SENSOR);
  M(nq); M(nv); M(nu); M(na); M(nbody); M(njnt); M(ngeom); M(nsite);
  M(ntendon); M(nsensordata); M(nmocap);
  M(opt.timestep); M(opt.gravity);
  M(body_mass); M(body_inertia); M(body_ipos); M(body_mocapid);
  M(jnt_type); M(jnt_qposadr); M(jnt_dofadr); M(jnt_range);
  M(dof_damping); M(dof_frictionloss);
  M(geom_size); M(geom_pos); M(geom_friction);
  M(tendon_stiffness);
  M(actuator_trntype); M(actuator_trnid); M(actuator_gear);
  M(actuator_ctrllimited); M(actuator_ctrlrange);
  D(warning); D(time);
  D(qpos); D(qvel); D(act); D(qacc_warmstart); D(ctrl); D(qfrc_applied);
  D(mocap_pos); D(mocap_quat); D(qacc); D(sensordata);
  D(xpos); D(xquat); D(xmat); D(geom_xpos); D(site_xpos); D(site_xmat); D(ten_length);
  return 0;
}

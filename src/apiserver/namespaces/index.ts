// Namespace lifecycle: admission (system namespaces, Terminating), /finalize, the namespace controller.
export {
  namespaceAdmission, finalizeNamespace, setupNamespaceType, startNamespaceController,
  SYSTEM_NAMESPACES, KUBERNETES_FINALIZER, NAME_LABEL,
} from './lifecycle.js';

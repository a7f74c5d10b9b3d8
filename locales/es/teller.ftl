# Los textos de Teller para los miembros, en español. Cada mensaje está
# también en locales/en/teller.ftl (una prueba comprueba que coinciden).

## Todas las páginas

site-skip = Ir al contenido principal
site-language = Idioma
site-questions = ¿Preguntas?
site-contact = Contacte con { $office }:
minutes = { $n ->
    [one] 1 minuto
   *[other] { $n } minutos
}
hours = { $n ->
    [one] 1 hora
   *[other] { $n } horas
}
days = { $n ->
    [one] 1 día
   *[other] { $n } días
}

## Fechas y horas

weekday-1 = lunes
weekday-2 = martes
weekday-3 = miércoles
weekday-4 = jueves
weekday-5 = viernes
weekday-6 = sábado
weekday-7 = domingo
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
date-time = { $weekday } { $day } de { $month } de { $year } a las { $time }
closes-at = La votación se cierra el { $when } ({ $zone }).
time-left = Quedan { $left }.
time-left-less-than-hour = Queda menos de una hora.

## Estados de una elección

state-draft = Todavía no abierta
state-open = Votación abierta
state-closed = Cerrada, pendiente del recuento
state-tallied = Resultados publicados
state-certified = Resultados certificados

## Página de inicio

home-title = Elecciones
home-none = Todavía no hay elecciones aquí.
home-have-code = ¿Tiene un código de votación?
home-enter-code = Introduzca su código de votación

## Página pública de una elección

election-vote-now = Vote ahora con su código de votación
election-see-results = Ver los resultados
election-turnout = Participación
election-on-ballot = En la papeleta
election-no-statement = Sin declaración.
election-check-yourself = Compruebe la elección usted mismo
election-check-log = Compruebe que su papeleta está en el registro público
election-check-log-how = (con el código de seguimiento de su recibo).
election-download-record = Descargue el registro de la elección
election-download-record-how = y verifíquelo con teller-audit verify. Las papeletas se publican con los resultados.
election-fingerprint = Huella de la clave de la elección: { $fingerprint }; registro: { $size } entradas, cabeza
schedule-opens-closes = La votación se abre el { $opens } y se cierra el { $closes }.
schedule-opens = La votación se abre el { $opens }.
schedule-unannounced = Se anunciará la hora de apertura.
schedule-closes = La votación se cierra el { $closes }.
schedule-close-by-hand = La oficina electoral anunciará el cierre.
turnout-draft = { $eligible ->
    [one] 1 miembro puede votar. La votación no ha empezado.
   *[other] { $eligible } miembros pueden votar. La votación no ha empezado.
}
turnout-no-seal = { $eligible ->
    [one] 1 miembro puede votar.
   *[other] { $eligible } miembros pueden votar.
} La participación se publica cada vez que las papeletas se sellan en el registro; todavía no ha habido ningún sellado.
turnout-open = En el último sellado ({ $when }), habían votado { $voted } de { $eligible } miembros con derecho a voto.
turnout-final = Votaron { $voted } de { $eligible } miembros con derecho a voto.

## Introducir un código de votación

enter-title = Introduzca su código de votación
enter-title-error = Error: introduzca su código de votación
enter-did-not-work = Ese código no ha funcionado
enter-label = Su código de votación
enter-hint = 28 letras y cifras, tal como aparecen en su correo o carta de invitación, por ejemplo
enter-hint-end = Las mayúsculas, los espacios y los guiones no importan.
enter-continue = Continuar a la papeleta
enter-privacy = Su código le permite emitir una papeleta. Su papeleta se guarda sin su nombre ni su código, y las papeletas solo se publican cuando se cierra la votación, en un orden que no muestra quién emitió cuál.
enter-mistyped = El código tiene un error de escritura: una letra o cifra es incorrecta, o dos están intercambiadas. Revise cada grupo de cuatro.
enter-malformed = Introduzca las 28 letras y cifras de su código de votación, tal como aparecen en su invitación.
error-prefix = Error:

## Códigos que no funcionan, votación no abierta

code-mistyped-title = Este código de votación tiene un error de escritura
code-mistyped-text = El código tiene la longitud correcta, pero una de sus letras o cifras no es correcta (o dos están intercambiadas). Compare cada grupo de cuatro con su invitación.
code-malformed-title = Esto no es un código de votación
code-malformed-text = Un código de votación tiene 28 letras y cifras, normalmente escritas en grupos de cuatro, como 7K3M-Q9TD-… . Compruebe que ha copiado el enlace o el código completo de su invitación.
code-type-it = Escriba su código de votación
code-type-again = Vuelva a escribir su código de votación
code-unknown-title = No reconocemos este código de votación
code-unknown-text-1 = Puede que el código se haya escrito mal o que se haya sustituido: cuando la oficina electoral envía a un miembro un código nuevo, el anterior deja de funcionar.
code-unknown-text-2 = Revise su invitación más reciente. Si el código sigue sin funcionar, contacte con la oficina electoral; pueden enviarle uno nuevo si no ha votado.
code-used-title = Este código de votación ya se ha utilizado
code-used-text-1 = Ya se ha emitido una papeleta con este código. Cada código emite una papeleta, y una papeleta emitida no se puede cambiar ni volver a mostrar: Teller no sabe qué papeleta es la suya.
code-used-text-2 = Si no ha votado usted, contacte con la oficina electoral de inmediato.
see-election-page = Ver la página de la elección
not-open-title = La votación todavía no está abierta
not-open-at = La votación se abre el { $when }. Su código funcionará entonces; guarde su invitación.
not-open-unannounced = La votación no ha empezado. La oficina electoral anunciará cuándo se abre; su código funcionará entonces.
closed-title = La votación está cerrada
closed-text = La votación de esta elección ha terminado, así que no se pueden emitir más papeletas. Los resultados se publicarán en la página de la elección.
too-many-title = Demasiados códigos de votación no han funcionado
too-many-text-1 = Varios códigos de votación enviados desde su conexión no han funcionado, así que durante { $wait } se rechazan desde ella los códigos que no funcionen. Esto protege el código de cada miembro.
too-many-text-2 = Su propio código sigue funcionando: compruebe que lo ha introducido exactamente como aparece en su invitación. Si sigue fallando, contacte con la oficina electoral.

## La papeleta

ballot-title = Su papeleta
ballot-title-error = Error: su papeleta
ballot-needs-change = Hay que cambiar algo en su papeleta antes de emitirla
ballot-how = Marque sus opciones y luego revíselas. No se emite nada hasta que pulse
ballot-how-button = Emitir mi papeleta
ballot-how-end = en la página siguiente. Puede dejar en blanco cualquier votación.
ballot-review = Revisar mis opciones
ballot-preview = Vista previa.
ballot-preview-text = Esta es la papeleta exactamente como la verán los miembros. Aquí no se puede emitir nada; al marcarla y pulsar el botón se comprueban sus opciones como lo hace la papeleta real.
ballot-preview-back = Volver a la elección
vote-for-one = Vote por uno.
vote-for-up-to = Vote hasta por { $seats }.
vote-referendum = Elija sí, no o abstención. Para aprobarse necesita { $threshold }.
vote-approval = { $seats ->
    [one] Vote por todos los candidatos que apruebe. Gana quien tenga más votos.
   *[other] Vote por todos los candidatos que apruebe. Ganan los { $seats } con más votos.
}
vote-cumulative = Tiene { $points } puntos: déselos todos a un candidato o repártalos entre varios. Puestos: { $seats }.
vote-ranked = Numere a los candidatos por orden de preferencia: 1 para su primera opción, 2 para la siguiente, y así sucesivamente. Ordene tantos o tan pocos como quiera.
not-ranked = Sin número
leave-question-blank = Dejar esta pregunta en blanco
leave-contest-blank = Dejar esta votación en blanco
write-in = Escriba otro nombre (opcional)
write-in-n = Escriba otro nombre { $n } (opcional)

## Revisar y emitir

review-title = Revise sus opciones
review-about-to-cast = Esta es la papeleta que va a emitir. Una vez emitida, no se puede cambiar.
review-blank = Sin selección: esta votación queda en blanco.
review-change = Cambiar mis opciones
review-cast = Emitir mi papeleta

## El recibo

receipt-title = Su papeleta se ha emitido
receipt-stored = Está guardada de forma segura. Gracias por votar.
receipt-tracker = Su código de seguimiento
receipt-tracker-text = Su papeleta se publica con este código, sin su nombre. Las papeletas se añaden a la lista pública por lotes a lo largo del día, y todas al cerrarse la votación: a partir de entonces puede buscar la suya y ver que está ahí.
receipt-check-link = Buscar su papeleta en el registro público
receipt-what-it-says = Lo que dice su papeleta
receipt-left-blank = En blanco.
receipt-keep = Guarde su recibo
receipt-keep-text = Su recibo es un pequeño archivo, firmado por el servicio electoral, que recoge su código de seguimiento y sus opciones. Cuando se publiquen los resultados, le permite a usted, o a quien usted elija, comprobar que su papeleta se contó exactamente como la emitió. Si no fue así, el recibo es su prueba.
receipt-private = Manténgalo en privado.
receipt-private-text = Quien vea su recibo verá cómo ha votado. Compártalo solo si así lo decide. Esto también significa que alguien podría presionarle para que lo muestre: Teller no puede impedirlo.
receipt-download = Descargar mi recibo
receipt-done-text = En un ordenador compartido, descargue primero su recibo y después pulse Terminar: esta página no se volverá a mostrar en este navegador. (Se olvida sola al cabo de un cuarto de hora.)
receipt-done = Terminar
receipt-auditors = Detalles para auditores
receipt-auditors-text = El recibo está firmado con la clave de la elección y promete que esta papeleta estará, como muy tarde, en el sellado { $seal } del registro público. Una vez hecho ese sellado, al buscar su papeleta en el registro público podrá descargar un pequeño archivo de prueba: la orden teller-audit verify-receipt receipt.json --proof proof.json comprueba el recibo con él, sin el registro de la elección, y teller-audit verify-receipt receipt.json record.json lo comprueba frente al registro completo. Los formatos se especifican en audit/FORMAT.md.
receipt-gone-title = Aquí no hay ningún recibo que mostrar
receipt-gone-text-1 = Un recibo se muestra en el navegador que emitió la papeleta, durante un cuarto de hora o hasta que pulse Terminar.
receipt-gone-text-2 = Si descargó su recibo, todavía puede comprobar su papeleta con él.
receipt-not-teller = Eso no es un recibo de Teller.
receipt-bad-signature = Ese recibo no tiene una firma válida.
receipt-cannot-write = Ese recibo no se puede guardar.
elections-link = Elecciones


## Papeletas cifradas (issue 13)

ballot-encrypted = Esta papeleta está cifrada. Con JavaScript activado, su dispositivo cifra sus opciones antes de enviar nada: el servicio electoral nunca las ve, solo los custodios juntos pueden descifrar los totales, y usted puede comprobar el cifrado antes de emitir. Sin JavaScript, la página siguiente explica qué cambia.
booth-title = Su papeleta está cifrada
booth-tracker = El código de seguimiento de su papeleta:
booth-fingerprint = La huella de la clave de la elección (compárela con la que publica la página de la elección):
booth-choose = Emita esta papeleta cifrada, o compruebe antes el cifrado. Al comprobarlo, su dispositivo abre esta papeleta y muestra lo que contiene; después ya no se puede emitir, y usted vuelve a cifrar con las mismas opciones.
booth-cast = Emitir mi papeleta
booth-check = Comprobar mi cifrado
booth-change = Cambiar mis opciones
booth-audit-title = Lo que contiene este cifrado
booth-audit-text = Su dispositivo abrió la papeleta cifrada con su semilla secreta y comprobó todas las pruebas. Contiene:
booth-audit-after = Esta papeleta se ha comprobado, así que nunca se emitirá. Para votar, vuelva a cifrar: el nuevo cifrado es distinto y contiene las mismas opciones.
booth-audit-download = Descargar la papeleta comprobada
booth-again = Volver a cifrar
booth-encrypting = Cifrando su papeleta en este dispositivo…
booth-ready = Su papeleta está cifrada. Emítala, o compruebe antes el cifrado.
booth-invalid = Hay que cambiar algo en su papeleta antes de cifrarla: revise la votación indicada.
booth-failed = No se pudo cifrar su papeleta en este dispositivo. No se envió nada. Puede recargar la página, o votar sin JavaScript.
booth-mismatch = Las claves de la elección en esta página no coinciden con su huella, así que no se cifrará ni se enviará nada. Avise a la oficina electoral.
booth-checking = Comprobando el cifrado…
booth-audit-sent = Comprobado. El servicio electoral ha guardado esta papeleta comprobada, así que nunca se podrá emitir.
booth-audit-unsent = Comprobado en este dispositivo, pero el servicio electoral no confirmó que guardara la papeleta comprobada. Aun así, no se puede emitir desde esta página.
booth-blank = en blanco
booth-refused = Su papeleta no se emitió: la papeleta cifrada no superó la comprobación { $check } ({ $reason }). Su código de votación sigue siendo válido: marque sus opciones y vuelva a intentarlo.
booth-refused-plain = Su papeleta no se emitió: { $reason }. Su código de votación sigue siendo válido.
review-encrypted-title = Cómo se cifra esta papeleta
review-encrypted-server = JavaScript está desactivado en este navegador, así que el servicio electoral cifra esta papeleta por usted cuando pulse Emitir o Comprobar el cifrado: en ese momento el servicio ve sus opciones. Solo guarda la papeleta cifrada, y nadie puede relacionarla con usted.
review-encrypted-device = Con JavaScript activado, su propio dispositivo cifra la papeleta y el servicio electoral nunca ve sus opciones.
review-check = Comprobar el cifrado
review-check-text = Comprobar el cifrado: el servicio cifra esta papeleta y le muestra lo que contiene el cifrado, con un archivo que puede comprobar en otro dispositivo. Ese cifrado nunca se emite, y su código sigue siendo válido.
audit-title = Su cifrado, comprobado
audit-not-cast = No se ha emitido nada: este cifrado se abrió para comprobarlo, así que nunca se podrá emitir. Su código de votación sigue siendo válido.
audit-tracker = Código de seguimiento del cifrado comprobado
audit-holds = Lo que contiene el cifrado
audit-holds-text = El servicio cifró sus opciones, después abrió el cifrado con su semilla secreta y comprobó todas las pruebas. Contiene:
audit-blank = En blanco.
audit-file = El archivo de la papeleta comprobada
audit-file-text = Para comprobarlo usted mismo en otro dispositivo, descargue el archivo y ejecute teller-audit verify-audit con él: repite todas las comprobaciones y enumera las opciones que contiene el cifrado.
audit-download = Descargar la papeleta comprobada
audit-again-text = Para votar, vuelva a cifrar: el nuevo cifrado es distinto y contiene las mismas opciones.
audit-again = Volver a cifrar
audit-plain-election = Las papeletas de esta elección no están cifradas: no hay cifrado que comprobar.
audit-not-teller = Eso no es una papeleta comprobada de Teller.
receipt-encrypted-no-choices = Su recibo no muestra opciones: su papeleta está cifrada, y solo los custodios juntos pueden descifrar los totales, nunca una papeleta.
receipt-keep-text-encrypted = Su recibo es un pequeño archivo, firmado por el servicio electoral, que recoge su código de seguimiento y su papeleta cifrada. Cuando se publiquen los resultados, le permite a usted, o a quien usted elija, comprobar que su papeleta está entre las contadas, exactamente como la emitió. Si no es así, el recibo es su prueba.
receipt-private-encrypted = No muestra cómo ha votado:
receipt-private-encrypted-text = solo contiene la papeleta cifrada. Guárdelo de todos modos: es su prueba de que esta papeleta es suya.

## Comprobar una papeleta

track-title = Consultar el registro público
track-title-error = Error: consultar el registro público
track-receipt-title = Comprobar mi papeleta
track-receipt-title-error = Error: comprobar mi papeleta
track-receipt-failed = No se ha podido comprobar ese recibo
track-receipt-shows = Lo que muestra su recibo
track-yes = Sí:
track-problem = Problema:
track-intro = Introduzca el código de seguimiento de su recibo para ver si su papeleta se ha sellado en el registro público de { $title }. El registro muestra que hay una papeleta con su código; cuando se cierra la votación, el registro de la elección muestra su contenido, que puede comparar con su recibo.
track-label = Código de seguimiento
track-hint = Al menos los 16 primeros caracteres, con o sin espacios.
track-check = Comprobar
track-or-file = O compruebe con el archivo de su recibo
track-file-text = Si descargó su recibo, elija el archivo: esta página comprueba que es auténtico, que su papeleta está en el registro público y, cuando se publiquen los resultados, que se contó exactamente como la emitió.
track-file-label = El archivo de su recibo
track-file-check = Comprobar mi recibo
track-not-tracker = Eso no es un código de seguimiento
track-not-tracker-text = Un código de seguimiento tiene 64 letras de la a a la f y cifras; introduzca al menos los 16 primeros.
track-found = Su papeleta está en el registro público
track-found-text = La papeleta con este código de seguimiento se selló en el registro en el sellado { $seal }:
track-not-found = Todavía no está en el registro
track-not-found-text = Ninguna papeleta sellada tiene este código. Si ha votado hace poco, su papeleta espera al próximo sellado: el número de su recibo indica en qué sellado estará como muy tarde. Vuelva a comprobarlo más tarde; si ese sellado ya ha pasado y falta su papeleta, guarde su recibo y avise a la oficina electoral o a un auditor.
track-ambiguous = Coincide más de una papeleta
track-ambiguous-text = Introduzca más caracteres de su código de seguimiento.
track-file-too-large = Ese archivo es demasiado grande para ser un recibo.
track-file-missing = Elija el archivo de su recibo (teller-receipt-….json) para comprobarlo.
track-file-not-receipt = Ese archivo no es un recibo de Teller.
track-file-other-election = Ese recibo es de otra elección; abra la página de esa elección para comprobarlo.
track-genuine = El recibo es auténtico: se firmó con la clave de esta elección y no se ha modificado nada.
track-not-genuine = El recibo no es auténtico: su firma no corresponde a la clave de esta elección, o se ha modificado.
track-in-log = Su papeleta está en el registro público, con el código de seguimiento de su recibo.
track-in-log-late = Su papeleta está en el registro público, pero más tarde de lo que prometía el recibo. Guarde su recibo y avise a la oficina electoral o a un auditor.
track-missing = Su papeleta NO está en el registro público, aunque ya debería estarlo. Guarde su recibo: es su prueba. Avise a la oficina electoral o a un auditor.
track-waiting = Su papeleta está guardada y espera a añadirse al registro público, lo que ocurre por lotes a lo largo del día y para todas las papeletas al cerrarse la votación. Vuelva a comprobarlo más tarde.
track-counted = Los resultados están publicados, y la papeleta contada con su código de seguimiento dice exactamente lo mismo que su recibo.
track-not-counted = Los resultados están publicados, pero ninguna papeleta contada coincide con su recibo. Guarde su recibo: es su prueba. Avise a la oficina electoral o a un auditor.
track-count-later = Cuando se publiquen los resultados, vuelva a comprobarlo: esta página le dirá entonces si su papeleta se contó exactamente como en su recibo.

## Errores

error-not-found-title = Página no encontrada
error-not-found-text = No hay nada en esta dirección. Compruebe el enlace o empiece desde la lista de elecciones.
error-did-not-work = Eso no ha funcionado
error-ours-title = Lo sentimos, algo ha fallado
error-ours-text = Algo ha fallado por nuestra parte; no se ha cambiado nada. Vuelva a intentarlo en un momento.
error-not-found = No encontrado
error-cannot = Eso no se puede hacer
error-to-list = Ir a la lista de elecciones

## Problemas de la papeleta y opciones en palabras

vote-ranked-no-gaps = No se salte números.
vote-ranked-close-up = Si se salta un número, sus opciones posteriores suben.
answer-yes = Sí
answer-no = No
answer-abstain = Abstención
share-half = la mitad
share-two-thirds = dos tercios
share-three-quarters = tres cuartos
share-three-fifths = tres quintos
threshold-at-least = al menos { $share } de los votos emitidos
threshold-more-than = más de { $share } de los votos emitidos
problem-in-contest = { $contest }: { $problem }
problem-points-not-number = los puntos de { $name } no son un número entero
problem-rank-range = el número de { $name } debe estar entre 1 y { $max }
problem-rank-twice = ha dado el número { $rank } a { $first } y a { $second }; dé a cada candidato un número distinto
problem-rank-gap = no hay número { $rank }; numere sus opciones 1, 2, 3… sin saltos
problem-too-many = ha elegido { $chosen } pero puede elegir como máximo { $seats }; quite { $remove } para continuar
problem-too-many-points = ha dado { $given } puntos pero tiene { $points }; quite { $remove } para continuar
summary-points = { $n ->
    [one] { $name }: 1 punto
   *[other] { $name }: { $n } puntos
}
summary-written-in = { $name } (escrito a mano)

## Correos (párrafos, separados por líneas en blanco)

mail-greeting = Estimado/a { $name }:
mail-signoff = La Oficina Electoral
mail-vote-here = Vote aquí: { $link }
mail-or-type = O vaya a { $vote_page } y escriba su código de votación: { $code }
mail-keep-private = Mantenga este mensaje en privado: el código emite una papeleta. Su papeleta se guarda sin su nombre ni su código, y las papeletas solo se publican cuando se cierra la votación, en un orden que no muestra quién emitió cuál.
mail-invitation-subject = Su código de votación para { $election }
mail-invitation = Le invitamos a votar en { $election }. La votación se cierra el { $closes }.
mail-reminder-subject = Recordatorio: vote en { $election }
mail-reminder = Todavía no ha votado en { $election }, según le consta a la oficina electoral (solo sabe quién ha votado de vez en cuando: si ya ha votado, gracias, y no haga caso de este mensaje). La votación se cierra el { $closes }.
mail-reminder-how = Para votar, use el enlace o el código de votación de la invitación que le enviamos: sigue funcionando. También puede ir a { $vote_page } y escribir ese código.
mail-reminder-lost = Si no encuentra su invitación, pida a la oficina electoral un código nuevo (el anterior dejará de funcionar): { $office }
mail-replacement-subject = Su nuevo código de votación para { $election }
mail-replacement = Como pidió a la oficina electoral, aquí tiene un nuevo código de votación para { $election }. El código que se le envió antes ya no funciona. La votación se cierra el { $closes }.
mail-replacement-warning = Si usted no pidió un código nuevo, puede que alguien intente votar en su nombre: avise de inmediato a la oficina electoral
mail-notice-subject = Se ha emitido un nuevo código de votación para usted en { $election }
mail-notice = La oficina electoral ha emitido un nuevo código de votación para usted en { $election }, y el código que tenía ya no funciona. El nuevo código se entregó a la oficina para que se lo haga llegar (por carta, por ejemplo), no se envió a esta dirección.
mail-notice-asked = Si lo pidió usted, no tiene que hacer nada.
mail-notice-counted = Cada código sustituido se cuenta en el registro público de la elección.
mail-questions = ¿Preguntas? Contacte con { $office }.
mail-closes-unannounced = cuando lo anuncie la oficina electoral
mail-no-code = el código de su invitación

## Cartas impresas

letter-member = Miembro { $id }
letter-title = Su código de votación para { $election }
letter-invited = Le invitamos a votar. La votación se cierra el { $closes }.
letter-step-1 = Vaya a { $vote_page } en un teléfono o un ordenador.
letter-step-2 = Escriba su código de votación:
letter-step-3 = Marque sus opciones, revíselas y emita su papeleta. Guarde el recibo que se le ofrece.
letter-privacy = Su código emite una papeleta. Su papeleta se guarda sin su nombre ni su código, y las papeletas solo se publican cuando se cierra la votación, en un orden que no muestra quién emitió cuál.

## Husos horarios, tiempo restante, elecciones anunciadas

zone-city = hora de { $city }
time-and = { $a } y { $b }
closes-left = La votación se cierra el { $when }: quedan { $left }.
home-coming-up = Próximamente
home-opens = La votación se abre el { $when }
announced-text = La papeleta se publicará aquí cuando se abra la votación. Si es miembro, recibirá su código de votación de la oficina electoral y funcionará a partir de entonces.

## Páginas de los candidatos

more-about = Más sobre { $name }
more-about-new-tab = Más sobre { $name } (se abre en una pestaña nueva)
candidate-in = Candidatura: { $contest }
candidate-from-ballot = ¿Viene de su papeleta? Sigue abierta en la pestaña de la que vino, con sus opciones tal como las dejó.
candidate-back = Volver a la elección

## Correos de confirmación (se envían al sellar)

confirm-subject = Su papeleta está en el registro público — { $election }
confirm-sealed = Como pidió al votar en { $election }, le confirmamos que su papeleta ya está en el registro público de la elección: se selló en el registro público en el sellado { $seal }.
confirm-tracker = El código de seguimiento de su papeleta:
    { $tracker }
confirm-check = Compruébelo usted mismo, aquí o en cualquier copia del registro público: { $link }
confirm-private = Este mensaje no dice cómo ha votado, y la oficina electoral no puede saberlo por él. Pero el registro público muestra las opciones de la papeleta con este código, así que quien lea este mensaje puede consultarlas: guárdelo con la misma reserva que su recibo, y bórrelo si prefiere no conservarlo.
confirm-wrong = Si algo le parece incorrecto, avise a la oficina electoral: { $office }
confirm-box = Enviarme un correo de confirmación cuando mi papeleta esté en el registro público
confirm-hint = El correo le da el código de seguimiento de su papeleta y un enlace para comprobarla, cuando su papeleta se selle en el registro público (no enseguida, para que no muestre cuándo votó). No dice cómo ha votado, pero quien pueda leerlo puede buscar el código en el registro público: guárdelo con la misma reserva que su recibo.

## El pie de página de la organización

site-privacy = Aviso de privacidad
site-runs-on-record = Funciona con Teller, que guarda un registro público, a prueba de manipulaciones, de cada elección: cualquiera puede descargarlo y comprobar el recuento con la herramienta gratuita teller-audit.

## Resultados

result-title = Resultados: { $title }
result-none-yet = Todavía no hay resultados
result-none-yet-text = Los resultados se publican cuando se ha cerrado la votación y se han contado las papeletas. Hasta entonces nadie, tampoco la oficina electoral, puede ver aquí ninguna parte del resultado.
result-intro = Se emitieron { $ballots } papeletas, de { $used } de los { $eligible } miembros con derecho a voto ({ $turnout }). Estos resultados son el recuento de las papeletas publicadas; cualquiera puede volver a contarlas a partir del
result-record = registro de la elección
result-digest = Resumen del recuento:
result-method = Método: { $method }; puestos: { $seats }.
result-votes-in = Votos en { $contest }
result-share = Porcentaje
result-outcome = Resultado
result-how = Cómo fue el recuento
result-rounds-label = Votos en cada ronda de { $contest }
result-rounds-caption = Votos de cada candidato en cada ronda
result-at-end = Al final
result-exhausted = Agotadas
result-candidate = Candidato
result-votes = Votos
result-answer = Respuesta
result-points = Puntos
result-final-round = Ronda final
result-elected = Elegido
result-nobody = No se eligió a nadie.
result-elected-list = Elegidos: { $names }.
result-elected-in-order = Elegidos, por orden: { $names }.
result-unfilled-majority = { $n ->
    [one] 1 puesto queda sin cubrir: ningún otro candidato alcanzó la mayoría necesaria.
   *[other] { $n } puestos quedan sin cubrir: ningún otro candidato alcanzó la mayoría necesaria.
}
result-unfilled-votes = { $n ->
    [one] 1 puesto queda sin cubrir: ningún otro candidato recibió votos.
   *[other] { $n } puestos quedan sin cubrir: ningún otro candidato recibió votos.
}
result-majority = Para ganar hacen falta más de { $over } votos: más de la mitad de las papeletas emitidas en esta votación
result-tie = { $names } empataron con { $votes } votos para { $seats ->
    [one] 1 puesto restante
   *[other] { $seats } puestos restantes
}. Como exigen las normas, un sorteo a partir de la semilla comprometida antes de abrir la votación decidió el orden: { $order }.
result-votes-cast = Votos emitidos (sí + no): { $n }; las abstenciones no son votos emitidos
result-needed = Para aprobarse, el sí necesitaba { $threshold }
result-passed = Aprobada: el { $share } de los votos emitidos fueron sí; necesitaba { $threshold }.
result-not-passed = No aprobada: el { $share } de los votos emitidos fueron sí; necesitaba { $threshold }.
result-not-a-vote = no es un voto emitido
result-count-failed = No se pudo hacer el recuento: { $error }.
result-schulze-order = El orden de la tabla es la clasificación de Schulze.
result-cast = Papeletas con voto en esta votación: { $n } (peso { $weight })
result-blank = En blanco en esta votación: { $n }
result-invalid = Nulas: { $n }
result-round = Ronda { $n }
result-round-event = Ronda { $n }: { $events }.
result-votes-counted = Votos contados: { $n }
result-quota = Cuota: { $quota }
result-then = luego

## El tablón público (/e/…/board) y la descarga de la prueba en «comprobar mi papeleta»

election-board = Consulte el tablón público
election-board-how = (el registro, su punto de control firmado y los códigos de las papeletas selladas).
board-title = Tablón público
board-intro = Todo lo publicado sobre { $title }, para que cualquiera lo lea y lo compruebe: el estado de la elección, el punto de control firmado más reciente de su registro, el propio registro y los códigos de seguimiento de las papeletas selladas.
board-state = Estado y calendario
board-opens = La votación se abre
board-closes = La votación se cierra
board-closes-by-hand = No hay hora de cierre fijada: la oficina electoral cierra la votación manualmente.
board-checkpoint = Último punto de control
board-checkpoint-text = La clave de la elección ha firmado que su registro contiene { $size } entradas con esta raíz de Merkle. Quien guarde este punto de control podrá demostrar más adelante si el registro se reescribe.
board-size = Entradas
board-root = Raíz de Merkle (hex)
board-key = Huella de la clave de la elección
board-note = El punto de control firmado
board-note-text = El mismo punto de control como nota firmada en el formato C2SP que leen las herramientas de registros de transparencia y los testigos:
board-verifier-key = Clave de verificación
board-verifier-key-text = Los testigos y las herramientas de notas se configuran con esta clave para comprobar la firma de la elección en sus puntos de control:
board-counts = Cifras
board-entries = Entradas del registro en el punto de control
board-seals = Sellados
board-sealed-ballots = Papeletas selladas
board-read = Consultar y descargar
board-log-link = El registro
board-log-link-how = todas las entradas que cubre el punto de control, en orden ({ $pages ->
        [one] 1 página
       *[other] { $pages } páginas
    }).
board-trackers-link = Los códigos sellados
board-trackers-link-how = en el orden del registro, cada uno con un enlace para comprobarlo.
board-check-link = Comprobar mi papeleta
board-check-link-how = con el código de seguimiento o el archivo del recibo, y descargar la prueba de que su papeleta está en el registro.
board-results-link = Los resultados
board-results-link-how = con el modo en que se contó cada votación.
board-record-link = Descargue el registro de la elección
board-record-link-how = para verificarlo todo sin conexión con teller-audit verify (las papeletas y el recuento, una vez contados).
board-machines = Para programas
board-machines-text = Los monitores, los testigos y los programas de los auditores pueden obtener los mismos datos como archivos:
board-api-checkpoint = El punto de control firmado más reciente, como nota firmada: consúltelo periódicamente para seguir el registro.
board-api-consistency = La prueba de que el punto de control más reciente amplía el registro que usted vio con N entradas: si falla, el registro se reescribió.
board-api-tiles = Los hashes y las entradas del registro en teselas, como las leen las herramientas de registros de transparencia, para comprobar todo el registro sin descargar el registro de la elección.
board-api-proof = La prueba de que una papeleta está en el registro, para comprobar un recibo sin conexión con teller-audit verify-receipt.
board-api-signed-checkpoint = El punto de control más reciente en el formato JSON propio de Teller, como los guarda el registro de la elección.
board-back = Volver al tablón público.
board-pages = Páginas
board-pages-end = Páginas (final de la lista)
board-page-of = Página { $page } de { $pages }
board-first = Primera página
board-previous = Página anterior
board-next = Página siguiente
board-last = Última página
board-log-title = El registro
board-log-title-page = El registro, página { $page } de { $pages }
board-log-intro = Todas las entradas del registro que cubre el punto de control firmado más reciente ({ $size ->
        [one] 1 entrada
       *[other] { $size } entradas
    }), de la más antigua a la más reciente. El registro de la elección que se descarga contiene las mismas entradas, con sus hashes.
board-log-caption = Entradas del registro { $first } a { $last } de { $size }
board-seq = Número
board-time = Hora
board-type = Suceso
board-data = Datos
board-trackers-title = Códigos sellados
board-trackers-title-page = Códigos sellados, página { $page } de { $pages }
board-trackers-intro = Los códigos de seguimiento de { $total ->
        [one] la única papeleta sellada
       *[other] las { $total } papeletas selladas
    }, en el orden en que están en el registro: por sellado y, dentro de cada sellado, por orden del código. Ninguno lleva un nombre asociado.
board-trackers-caption = Códigos sellados, página { $page } de { $pages }
board-trackers-none = Todavía no se ha sellado ninguna papeleta en el registro.
board-tracker = Código de seguimiento
board-seal = Sellado
board-bad-page = El número de página es un número entero a partir de 1, como page=2.
board-no-such-page = Esa página no existe
board-no-such-page-text = Ha pedido la página { $page }, pero esta lista tiene { $pages ->
        [one] solo 1 página
       *[other] { $pages } páginas
    }.
board-event-election-created = Elección creada
board-event-definition-updated = Papeleta modificada
board-event-roll-imported = Miembros añadidos al censo
board-event-tokens-issued = Códigos de votación emitidos
board-event-token-reissued = Un código de votación sustituido
board-event-certifier-registered = Clave de certificador registrada
board-event-tokens-sent = Códigos de votación enviados
board-event-polls-opened = Votación abierta
board-event-ballot = Papeleta sellada
board-event-seal = Sellado
board-event-schedule-changed = Hora de cierre cambiada
board-event-polls-closed = Votación cerrada
board-event-tallied = Votos contados
board-event-certification = Firma de un certificador
board-event-certified = Resultado certificado
board-event-trustee-named = Custodia nombrada
board-event-trustee-registered = Claves de la custodia registradas
board-event-ceremony-message = Mensaje de la ceremonia de claves
board-event-trustee-excluded = Custodia excluida de la ceremonia de claves
board-event-ceremony-completed = Ceremonia de claves completada
board-event-audited = Papeleta comprobada por su votante (auditada, nunca emitida)
board-event-aggregated = Totales cifrados fijados
board-event-decryption-share = Descifrado parcial de un custodio aceptado
board-event-decryption-refused = Descifrado parcial de un custodio rechazado
track-proof-download = Descargue la prueba de que su papeleta está en el registro
track-proof-offline = Para comprobarla sin conexión, con su recibo y sin confiar en este sitio:
track-proof-command = teller-audit verify-receipt RECIBO --proof PRUEBA
track-proof-later = La prueba de que su papeleta está en el registro podrá descargarse aquí cuando su papeleta se selle en el registro, como tarde en el sellado que indica su recibo.
proof-bad-tracker = Un código de seguimiento tiene 64 letras a–f y cifras.
proof-bad-seal = El número de sellado es un número entero a partir de 1, como seal=2.
proof-unknown = Ninguna papeleta tiene este código
proof-unknown-text = En esta elección no se emitió ninguna papeleta con este código de seguimiento. Compruebe el código de su recibo.
proof-not-yet = La prueba aún no está lista
proof-not-yet-text = Su papeleta todavía no está sellada en el registro. La prueba podrá descargarse cuando lo esté, como tarde en el sellado que indica su recibo: vuelva a comprobar su papeleta después.

## La página de la persona custodia: la ceremonia de claves de una elección cifrada.
trustee-title = Custodia: la ceremonia de claves
trustee-sign-in-title = Entrar como custodia
trustee-sign-in-intro = Las personas custodias crean juntas la clave de una elección cifrada, cada una en su propio ordenador. Escriba el código de acceso que le dio la oficina electoral al nombrarle custodia.
trustee-code-label = Su código de acceso de custodia
trustee-sign-in = Entrar
trustee-sign-in-failed = No se pudo entrar
trustee-code-unknown = Este código de acceso no es uno que la oficina electoral haya dado a una persona custodia. Compruébelo o consulte a la oficina electoral.
trustee-too-many = Demasiados códigos de acceso desde su conexión no funcionaron, así que se rechaza desde ella todo código de acceso de persona custodia, incluso uno correcto, durante { $wait }. Espere y vuelva a entrar. Si esos intentos no fueron suyos, avise a la oficina electoral.
trustee-sign-out = Salir
trustee-intro = Usted es la custodia { $trustee }, { $name }, de «{ $title }»: cualesquiera { $threshold } de sus { $trustees } custodias pueden descifrar los totales tras el cierre, y no menos.
trustee-progress = En qué punto está la ceremonia
trustee-roster-caption = Las personas custodias
trustee-col-number = Número
trustee-col-name = Nombre
trustee-col-state = Ahora
trustee-col-fingerprint = Huella de la clave de firma
trustee-fingerprint-none = Aún no se ha registrado
trustee-fingerprints-compare = Cada huella es la de la clave de firma que registró la persona custodia: teller-audit trustee keygen se la mostró. Compárelas todas con las demás personas custodias, por teléfono o en persona, no a través de este sitio. Si la huella que se muestra para usted o para otra persona custodia no es la que mostró su comando, una clave de aquí no es suya: no envíe nada más y avise a la oficina electoral y a las demás personas custodias.
trustee-state-named = Nombrada
trustee-state-posted = Ha enviado el mensaje de esta ronda
trustee-state-awaited = Mensaje pendiente
trustee-state-done = Terminado
trustee-state-failed = Detenida
trustee-state-excluded = Excluida ({ $rule })
trustee-status-naming = La oficina electoral ha nombrado { $named } de las { $total } custodias. La ceremonia empieza cuando estén todas nombradas: vuelva entonces.
trustee-status-your-turn = Es su turno: el mensaje { $round } del intento { $attempt }. Siga los tres pasos de abajo.
trustee-status-waiting = Ya envió su mensaje. La ceremonia espera los mensajes { $round } de la(s) custodia(s) { $who }: vuelva más tarde.
trustee-status-complete = La ceremonia ha terminado. Guarde su carpeta en un soporte cifrado: la necesitará para descifrar los totales tras el cierre.
trustee-status-failed = La ceremonia ha fallado: { $why }
trustee-status-excluded = Usted quedó excluida de esta ceremonia y ya no participa. La oficina electoral puede decirle por qué; el archivo del tablón muestra la regla.
trustee-joint-key = La clave de la elección:
trustee-next = Qué hacer ahora
trustee-download = Descargar el archivo del tablón (board.json)
trustee-run = En la carpeta donde lo guardó, ejecute:
trustee-keep-folder = La carpeta teller-trustee guarda sus secretos: la orden hace que solo usted pueda leerla. Guárdela en un soporte cifrado y no la envíe nunca a nadie.
trustee-upload-step = Suba el archivo de mensaje que escribió la orden:
trustee-message-label = Su archivo de mensaje
trustee-message-hint = El archivo .json que escribió la orden (el nombre tras --out).
trustee-upload = Subir el mensaje
trustee-refused = El mensaje no fue aceptado y nada cambió
trustee-accepted = Su mensaje ha sido aceptado (resumen { $digest }…).
trustee-no-file = Elija el archivo de mensaje que quiere subir.
trustee-too-large = Este archivo es demasiado grande para ser un mensaje de la ceremonia.
trustee-broken-upload = La subida no llegó completa; inténtelo de nuevo.
decryption-title = Descifrado de los totales
decryption-intro = La votación ha cerrado. Los totales cifrados de las { $ballots } papeletas emitidas quedan fijados en el registro (agregado { $digest }…). Cualesquiera { $threshold } custodios los descifran, cada uno en su ordenador; nadie ve una papeleta.
decryption-progress = Descifrados parciales aceptados: { $accepted } de los { $threshold } necesarios ({ $who }).
decryption-none-yet = ninguno todavía
decryption-done = Los totales están descifrados: la oficina electoral publica el resultado con el escrutinio. Gracias.
decryption-yours = Su descifrado parcial ha sido aceptado.
decryption-download = Descargue la solicitud de descifrado (request.json), junto a board.json
decryption-download-board = Descargue de nuevo el tablón (board.json)
decryption-run = En esa carpeta, junto a su carpeta teller-trustee, ejecute la orden siguiente. Comprueba la ceremonia, cada papeleta y los totales cifrados antes de descifrar nada, y se niega si no coinciden:
decryption-upload-step = Suba el descifrado parcial que escribió la orden:
decryption-partial-label = Su archivo de descifrado parcial
decryption-partial-hint = El archivo partial.json que escribió la orden (el nombre tras --out).
decryption-upload = Subir el descifrado parcial
decryption-refusals = Descifrados parciales rechazados
decryption-refusal = Custodio { $who }: rechazado ({ $reason }): { $detail }
decryption-accepted = Su descifrado parcial ha sido aceptado (resumen { $digest }…).
decryption-accepted-decrypted = Su descifrado parcial ha sido aceptado (resumen { $digest }…); con él los totales quedan descifrados, y la oficina electoral puede publicar el resultado.
decryption-no-file = Elija el archivo de descifrado parcial que desea subir.
decryption-too-large = Este archivo es demasiado grande para ser un descifrado parcial.
